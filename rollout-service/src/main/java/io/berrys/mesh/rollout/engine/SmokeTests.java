package io.berrys.mesh.rollout.engine;

import io.berrys.mesh.rollout.RolloutConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** HTTP checks of the new version through its preview Service, before any traffic reaches it. */
@ApplicationScoped
public class SmokeTests {

    /** One check: a path, the status it must answer and, optionally, text its body must contain. */
    public record Check(String path, int status, Optional<String> body, int retries, Duration timeout) {}

    private static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    private final RolloutConfig config;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    public SmokeTests(RolloutConfig config) {
        this.config = config;
    }

    public List<Check> checks() {
        return config.smoke()
                .checks()
                .map(list -> list.stream()
                        .map(check ->
                                new Check(check.path(), check.status(), check.body(), check.retries(), check.timeout()))
                        .toList())
                .orElse(List.of(
                        new Check(config.smoke().defaultPath(), 200, Optional.empty(), 3, Duration.ofSeconds(5))));
    }

    public String baseUrl(String namespace, String service, int port) {
        return config.smoke()
                .baseUrl()
                .replace("{service}", service)
                .replace("{namespace}", namespace)
                .replace("{port}", Integer.toString(port));
    }

    /** Runs every check; returns what failed, empty when all passed. */
    public List<String> run(String baseUrl) throws InterruptedException {
        List<String> failures = new ArrayList<>();
        for (Check check : checks()) {
            String failure = run(baseUrl, check);
            if (failure != null) {
                failures.add(failure);
            }
        }
        return failures;
    }

    private String run(String baseUrl, Check check) throws InterruptedException {
        URI uri = URI.create(baseUrl + check.path());
        String last = null;
        for (int attempt = 0; attempt <= check.retries(); attempt++) {
            if (attempt > 0) {
                Thread.sleep(RETRY_PAUSE.toMillis());
            }
            try {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(uri)
                                .timeout(check.timeout())
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != check.status()) {
                    last = "GET " + check.path() + " answered " + response.statusCode() + ", expected "
                            + check.status();
                } else if (check.body().isPresent()
                        && !response.body().contains(check.body().get())) {
                    last = "GET " + check.path() + " answered " + response.statusCode() + " without '"
                            + check.body().get() + "' in its body";
                } else {
                    return null;
                }
            } catch (IOException e) {
                last = "GET " + check.path() + " failed: " + e.getClass().getSimpleName()
                        + Optional.ofNullable(e.getMessage())
                                .map(message -> " " + message)
                                .orElse("");
            }
        }
        return last + " (after " + (check.retries() + 1) + " attempts)";
    }
}
