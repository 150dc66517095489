package io.berrys.mesh.rollout.engine;

import io.berrys.mesh.rollout.RolloutConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

/** HTTP checks of the new version through its preview Service, before any traffic reaches it. */
@ApplicationScoped
public class SmokeTests {

    /** One check: a path, the status it must answer and, optionally, text its body must contain. */
    public record Check(String path, int status, Optional<String> body, int retries, Duration timeout) {}

    private static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    private final RolloutConfig config;
    // Vert.x's client, which the Kubernetes client already runs on: the JDK's HttpClient would load about 450 more
    // classes (its own stack and TLS set-up) and keep a selector thread, for a few requests per rollout.
    private final WebClient http;

    public SmokeTests(RolloutConfig config, Vertx vertx) {
        this.config = config;
        this.http = WebClient.create(
                vertx,
                new WebClientOptions()
                        .setConnectTimeout((int) Duration.ofSeconds(5).toMillis())
                        .setFollowRedirects(false));
    }

    @PreDestroy
    void close() {
        http.close();
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

    String run(String baseUrl, Check check) throws InterruptedException {
        String uri = baseUrl + check.path();
        String last = null;
        for (int attempt = 0; attempt <= check.retries(); attempt++) {
            if (attempt > 0) {
                Thread.sleep(RETRY_PAUSE.toMillis());
            }
            try {
                HttpResponse<Buffer> response = http.getAbs(uri)
                        .timeout(check.timeout().toMillis())
                        .send()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get();
                if (response.statusCode() != check.status()) {
                    last = "GET " + check.path() + " answered " + response.statusCode() + ", expected "
                            + check.status();
                } else if (check.body().isPresent()
                        && !Optional.ofNullable(response.bodyAsString())
                                .orElse("")
                                .contains(check.body().get())) {
                    last = "GET " + check.path() + " answered " + response.statusCode() + " without '"
                            + check.body().get() + "' in its body";
                } else {
                    return null;
                }
            } catch (ExecutionException e) {
                // Vert.x's messages say what happened ("Connection refused: /10.0.0.7:8080", "The timeout period of
                // 5000ms has been exceeded ..."); its exception classes' names add nothing for the reader.
                Throwable cause = e.getCause();
                last = "GET " + check.path() + " failed: "
                        + Optional.ofNullable(cause.getMessage())
                                .orElse(cause.getClass().getSimpleName());
            }
        }
        return last + " (after " + (check.retries() + 1) + " attempts)";
    }
}
