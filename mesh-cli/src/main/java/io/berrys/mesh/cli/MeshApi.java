package io.berrys.mesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The coordinator's REST API, as the CLI uses it. The token goes in a header and nowhere else. */
final class MeshApi {

    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String token;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final String name;

    MeshApi(String baseUrl, String token) {
        this(baseUrl, token, "the coordinator");
    }

    /** @param name what the service is called in messages: "the coordinator", "the provisioner" */
    MeshApi(String baseUrl, String token, String name) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.token = token;
        this.name = name;
    }

    JsonNode get(String path) {
        return send(request(path).GET().build());
    }

    JsonNode post(String path, Object body, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path).header("Content-Type", "application/json");
        headers.forEach(builder::header);
        try {
            builder.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } catch (IOException e) {
            throw new ApiException("cannot encode the request: " + e.getMessage());
        }
        return send(builder.build());
    }

    /**
     * Follows a Server-Sent Events stream, handing each {@code data:} payload over, until the server ends it or
     * {@code timeout} passes (a quiet stream does not hold the caller past it): returns whether the server ended it.
     */
    boolean follow(String path, Duration timeout, Consumer<JsonNode> onEvent) {
        HttpRequest request = request(path)
                .header("Accept", "text/event-stream")
                .timeout(timeout)
                .GET()
                .build();
        HttpResponse<Stream<String>> response;
        try {
            response = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new ApiException("the event stream broke: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted");
        }
        if (response.statusCode() >= 400) {
            throw new ApiException("HTTP " + response.statusCode() + " from " + request.uri());
        }
        Stream<String> lines = response.body();
        CompletableFuture<Void> reading =
                CompletableFuture.runAsync(() -> lines.filter(line -> line.startsWith("data:"))
                        .map(line -> line.substring(5).trim())
                        .forEach(data -> onEvent.accept(parse(data))));
        try {
            reading.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            lines.close();
            return false;
        } catch (ExecutionException e) {
            throw new ApiException("the event stream broke: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted");
        }
    }

    static String query(String name, String value) {
        return value == null ? "" : "&" + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        if (token != null && !token.isBlank()) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private JsonNode send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = response.body().isBlank() ? JSON.nullNode() : parse(response.body());
            if (response.statusCode() >= 400) {
                String message = body.hasNonNull("error") ? body.get("error").asText() : response.body();
                throw new ApiException("HTTP " + response.statusCode() + ": " + message);
            }
            return body;
        } catch (IOException e) {
            throw new ApiException("cannot reach " + name + " at " + base + " (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted");
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new ApiException("the answer is not JSON: " + e.getMessage());
        }
    }

    static final class ApiException extends RuntimeException {
        ApiException(String message) {
            super(message);
        }
    }
}
