package io.berrys.mesh.localcluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A simulation of the platform's pods on one HTTP port: {@code /<service>/health} answers the rollout's smoke tests,
 * {@code /metrics} serves request counters per environment and service for Prometheus, and
 * {@code POST /admin/error-share?environment=E&service=S&share=0.5} sets the share of requests that fail with 500.
 * Every scrape adds one hundred requests per known service.
 */
public final class PlatformStandIn implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, Double> errorShare = new ConcurrentHashMap<>();
    private final Map<String, long[]> counters = new TreeMap<>();

    public PlatformStandIn(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/metrics", exchange -> answer(exchange, 200, scrape()));
        server.createContext("/admin/error-share", this::setErrorShare);
        server.createContext("/", exchange -> answer(exchange, 200, "ok (simulated platform pod)\n"));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Makes a service known to the metrics with no errors, so Prometheus has a series before anything goes wrong. */
    public void serve(String environment, String service) {
        errorShare.putIfAbsent(environment + "/" + service, 0.0);
    }

    /** The share (0..1) of the service's requests that fail with 500 from now on. */
    public void errorShare(String environment, String service, double share) {
        errorShare.put(environment + "/" + service, share);
    }

    private void setErrorShare(HttpExchange exchange) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            answer(exchange, 405, "POST /admin/error-share?environment=E&service=S&share=0.5\n");
            return;
        }
        Map<String, String> query = query(exchange.getRequestURI());
        String environment = query.get("environment");
        String service = query.get("service");
        double share;
        try {
            share = Double.parseDouble(query.getOrDefault("share", ""));
        } catch (NumberFormatException e) {
            share = -1;
        }
        if (environment == null || service == null || share < 0 || share > 1) {
            answer(exchange, 400, "environment, service and share (0..1) are required\n");
            return;
        }
        errorShare(environment, service, share);
        answer(exchange, 200, "error share of " + service + " in " + environment + " is now " + share + "\n");
    }

    private synchronized String scrape() {
        StringBuilder text =
                new StringBuilder("# HELP http_requests_total Requests served by the simulated platform pods.\n"
                        + "# TYPE http_requests_total counter\n");
        errorShare.forEach((key, share) -> {
            long[] count = counters.computeIfAbsent(key, ignored -> new long[2]);
            long failed = Math.round(100 * share);
            count[0] += 100 - failed;
            count[1] += failed;
        });
        counters.forEach((key, count) -> {
            String[] parts = key.split("/", 2);
            String labels = "environment=\"" + parts[0] + "\",service=\"" + parts[1] + "\"";
            text.append("http_requests_total{")
                    .append(labels)
                    .append(",code=\"200\"} ")
                    .append(count[0])
                    .append('\n');
            text.append("http_requests_total{")
                    .append(labels)
                    .append(",code=\"500\"} ")
                    .append(count[1])
                    .append('\n');
        });
        return text.toString();
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> values = new TreeMap<>();
        if (uri.getRawQuery() == null) {
            return values;
        }
        for (String pair : uri.getRawQuery().split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                values.put(
                        java.net.URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
