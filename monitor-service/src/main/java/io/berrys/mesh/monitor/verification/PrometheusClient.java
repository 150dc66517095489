package io.berrys.mesh.monitor.verification;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berrys.mesh.monitor.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Instant queries against Prometheus' HTTP API ({@code /api/v1/query}). */
@ApplicationScoped
public class PrometheusClient {

    /** Prometheus answered with an error, or could not be reached. */
    public static class QueryFailed extends Exception {
        public QueryFailed(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MonitorConfig config;
    private final HttpClient http;

    public PrometheusClient(MonitorConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.prometheus().timeout())
                .build();
    }

    /** The value of every series (or the scalar) the query returns now. */
    public List<Double> query(String promql) throws QueryFailed, InterruptedException {
        String base = config.prometheus().url().replaceAll("/+$", "");
        URI uri = URI.create(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> response;
        try {
            response = http.send(
                    HttpRequest.newBuilder(uri)
                            .timeout(config.prometheus().timeout())
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new QueryFailed("Prometheus at " + base + " unreachable: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new QueryFailed("Prometheus answered " + response.statusCode() + " with a body that is not JSON");
        }
        if (!"success".equals(body.path("status").asText())) {
            throw new QueryFailed(
                    "Prometheus rejected the query (" + body.path("errorType").asText() + "): "
                            + body.path("error").asText());
        }
        JsonNode data = body.path("data");
        List<Double> values = new ArrayList<>();
        switch (data.path("resultType").asText()) {
            case "scalar" -> values.add(parse(data.path("result").path(1)));
            case "vector" -> {
                for (JsonNode series : data.path("result")) {
                    values.add(parse(series.path("value").path(1)));
                }
            }
            default ->
                throw new QueryFailed("the query returned a "
                        + data.path("resultType").asText() + "; a check needs an instant vector or a scalar");
        }
        return values;
    }

    private static double parse(JsonNode sample) throws QueryFailed {
        if (!sample.isTextual()) {
            throw new QueryFailed("Prometheus answered a sample without a value: " + sample);
        }
        return switch (sample.asText()) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(sample.asText());
                } catch (NumberFormatException e) {
                    throw new QueryFailed("Prometheus answered a value that is not a number: " + sample.asText());
                }
            }
        };
    }
}
