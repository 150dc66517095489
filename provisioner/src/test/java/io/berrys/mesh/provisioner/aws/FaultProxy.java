package io.berrys.mesh.provisioner.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of the moto server that injects the faults AWS is known for: a slow answer, throttling,
 * and a request that is carried out while its answer never arrives. Each fault counts how often it struck, so a test
 * proves it happened.
 */
final class FaultProxy implements AutoCloseable {

    private static final Set<String> UNCOPIED =
            Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");

    enum Fault {
        /** Carried out by moto, then the connection is closed with no answer. */
        DROP_ANSWER,
        /** Answered 503 RequestLimitExceeded without reaching moto. */
        THROTTLE
    }

    /** A fault for the next {@code times} requests of an API action ({@code CreateVpc}, {@code CreateKey}). */
    static final class Rule {
        final String action;
        final Fault fault;
        final AtomicInteger left;
        final AtomicInteger struck = new AtomicInteger();

        Rule(String action, Fault fault, int times) {
            this.action = action;
            this.fault = fault;
            this.left = new AtomicInteger(times);
        }

        int struck() {
            return struck.get();
        }
    }

    private final URI target;
    private final HttpServer server;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private volatile Duration delay = Duration.ZERO;
    private final AtomicInteger delayed = new AtomicInteger();

    FaultProxy(URI target) throws IOException {
        this.target = target;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    Rule inject(String action, Fault fault, int times) {
        Rule rule = new Rule(action, fault, times);
        rules.add(rule);
        return rule;
    }

    /** Every answer held back this long before it is forwarded. */
    void delayEvery(Duration pause) {
        delay = pause;
    }

    int delayed() {
        return delayed.get();
    }

    void clear() {
        rules.clear();
        delay = Duration.ZERO;
    }

    /** The API action of a request: the Query protocol's {@code Action=}, or the JSON protocols' target header. */
    private static String action(HttpExchange exchange, byte[] body) {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        if (target != null) {
            return target.substring(target.lastIndexOf('.') + 1);
        }
        String form = new String(body, StandardCharsets.UTF_8);
        for (String pair : form.split("&")) {
            if (pair.startsWith("Action=")) {
                return pair.substring("Action=".length());
            }
        }
        return exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
    }

    private Rule firing(String action) {
        for (Rule rule : rules) {
            if (rule.action.equals(action) && rule.left.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                rule.struck.incrementAndGet();
                return rule;
            }
        }
        return null;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Rule rule = firing(action(exchange, body));
            if (rule != null && rule.fault == Fault.THROTTLE) {
                byte[] answer = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                                + "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
                                + "</Error></Errors><RequestID>fault-proxy</RequestID></Response>")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/xml");
                exchange.sendResponseHeaders(503, answer.length);
                exchange.getResponseBody().write(answer);
                return;
            }
            HttpResponse<byte[]> answer = forward(exchange, body);
            if (rule != null && rule.fault == Fault.DROP_ANSWER) {
                // Closing before any header is sent drops the connection: the caller never learns it worked.
                return;
            }
            if (!delay.isZero()) {
                delayed.incrementAndGet();
                Thread.sleep(delay.toMillis());
            }
            answer.headers().map().forEach((name, values) -> {
                if (!UNCOPIED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    values.forEach(value -> exchange.getResponseHeaders().add(name, value));
                }
            });
            byte[] bytes = answer.body();
            exchange.sendResponseHeaders(answer.statusCode(), bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HttpResponse<byte[]> forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        URI uri = target.resolve(exchange.getRequestURI().toString());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!UNCOPIED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(value -> request.header(name, value));
            }
        });
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
