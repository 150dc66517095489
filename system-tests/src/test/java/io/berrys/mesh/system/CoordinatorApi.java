package io.berrys.mesh.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** The coordinator's REST API as CI and the on-call engineer use it, tolerant of the coordinator being down. */
final class CoordinatorApi {

    static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "ROLLED_BACK", "ABORTED");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** What a release was asked to do. {@code database} and {@code migrations} may be null. */
    record Request(String environment, String service, String version, String database, String migrations) {}

    /** A published release and where it ended. {@code state} is LOST or STUCK when it never got anywhere. */
    record Outcome(
            String id, Request request, long publishedAtMillis, long endedAtMillis, String state, String reason) {}

    private final String baseUrl;
    private final String token;

    CoordinatorApi(String baseUrl, String token) {
        this.baseUrl = baseUrl;
        this.token = token;
    }

    /** POST /api/releases with an idempotency key, retried (same key) while the coordinator cannot answer. */
    String publish(Request request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("environment", request.environment());
        body.put("service", request.service());
        body.put("version", request.version());
        body.put("image", "registry.local/berrys/" + request.service() + ":" + request.version());
        if (request.database() != null) {
            body.put("databases", List.of(request.database()));
        }
        if (request.migrations() != null) {
            body.put("migrations", request.migrations());
        }
        String key = "system-" + UUID.randomUUID();
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/releases"))
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", key)
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
                if (response.statusCode() == 201 || response.statusCode() == 200) {
                    return JSON.readTree(response.body()).path("id").asText();
                }
                if (response.statusCode() < 500 || attempt >= 30) {
                    throw new IllegalStateException(
                            "publishing " + request + " answered " + response.statusCode() + ": " + response.body());
                }
            } catch (IOException e) {
                if (attempt >= 30) {
                    throw new IllegalStateException("the coordinator did not take " + request, e);
                }
            }
            MeshProcesses.sleep(1_000);
        }
    }

    /** The release, empty when the coordinator does not know it (404); throws when it cannot answer. */
    Optional<JsonNode> release(String id) throws IOException {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/releases/" + id))
                .GET());
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET release " + id + " answered " + response.statusCode());
        }
        return Optional.of(JSON.readTree(response.body()));
    }

    void approve(String id) throws IOException {
        send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/releases/" + id + "/approve"))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    /**
     * Follows releases until each is terminal or the deadline passes, approving those waiting at an approval gate
     * (as the on-call engineer would). A release the coordinator answers 404 for after the deadline is LOST.
     */
    Map<String, Outcome> awaitTerminal(Map<String, Outcome> published, Duration within) {
        Map<String, Outcome> results = new LinkedHashMap<>(published);
        long deadline = System.currentTimeMillis() + within.toMillis();
        while (true) {
            Collection<Outcome> open = results.values().stream()
                    .filter(outcome -> !TERMINAL.contains(outcome.state()))
                    .toList();
            if (open.isEmpty()) {
                return results;
            }
            boolean late = System.currentTimeMillis() > deadline;
            for (Outcome outcome : open) {
                String state;
                String reason;
                try {
                    Optional<JsonNode> release = release(outcome.id());
                    state = release.map(node -> node.path("state").asText()).orElse("LOST");
                    reason = release.map(node -> node.path("reason").asText("")).orElse("unknown to the coordinator");
                    if ("WAITING_APPROVAL".equals(state)) {
                        approve(outcome.id());
                    }
                } catch (IOException e) {
                    state = "UNANSWERED";
                    reason = e.getMessage();
                }
                if (late && !TERMINAL.contains(state)) {
                    state = "LOST".equals(state) ? "LOST" : "STUCK";
                    reason = reason + " (not terminal after " + within.toSeconds() + " s)";
                }
                results.put(
                        outcome.id(),
                        new Outcome(
                                outcome.id(),
                                outcome.request(),
                                outcome.publishedAtMillis(),
                                System.currentTimeMillis(),
                                state,
                                reason));
            }
            if (late) {
                return results;
            }
            MeshProcesses.sleep(500);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
        try {
            return HTTP.send(
                    request.header("Authorization", "Bearer " + token)
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
