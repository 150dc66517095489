package io.berrys.mesh.monitor;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A platform service as Prometheus sees it: {@code /metrics} with request counters whose rate a test controls.
 * Every scrape adds {@code requestsPerScrape} requests, of which the configured share failed with 500.
 */
final class PlatformApp implements AutoCloseable {

    /** Error share per {@code environment/service}; services not listed serve no traffic at all. */
    static final Map<String, Double> ERROR_SHARE = new ConcurrentHashMap<>();

    private final HttpServer server;
    private final Map<String, AtomicLong[]> counters = new ConcurrentHashMap<>();

    PlatformApp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private synchronized String scrape() {
        StringBuilder text = new StringBuilder("# TYPE http_requests_total counter\n");
        ERROR_SHARE.forEach((key, share) -> {
            AtomicLong[] count =
                    counters.computeIfAbsent(key, ignored -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
            long failed = Math.round(100 * share);
            count[0].addAndGet(100 - failed);
            count[1].addAndGet(failed);
            String[] parts = key.split("/");
            String labels = "environment=\"" + parts[0] + "\",service=\"" + parts[1] + "\"";
            text.append("http_requests_total{")
                    .append(labels)
                    .append(",code=\"200\"} ")
                    .append(count[0].get())
                    .append('\n');
            text.append("http_requests_total{")
                    .append(labels)
                    .append(",code=\"500\"} ")
                    .append(count[1].get())
                    .append('\n');
        });
        return text.toString();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
