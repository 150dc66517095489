package io.berrys.mesh.rollout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The checks against a real HTTP server: each way a new version can answer, or not answer. */
class SmokeTestsTest {

    private static HttpServer server;
    private static ExecutorService serverThreads;
    private static Vertx vertx;
    private static SmokeTests smokeTests;
    private static String baseUrl;
    private static final AtomicInteger FLAKY_CALLS = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ok", exchange -> answer(exchange, 200, "status: ok"));
        server.createContext("/broken", exchange -> answer(exchange, 503, "unavailable"));
        server.createContext("/empty", exchange -> answer(exchange, 200, ""));
        server.createContext("/flaky", exchange -> {
            int call = FLAKY_CALLS.incrementAndGet();
            answer(exchange, call < 3 ? 502 : 200, "ok");
        });
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(exchange, 200, "late");
        });
        // The slow answer must not hold up the others.
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.start();
        baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
        vertx = Vertx.vertx();
        // The checks are given to run(...) directly; the configuration only supplies them in the service.
        smokeTests = new SmokeTests(null, vertx);
    }

    @AfterAll
    static void stop() {
        smokeTests.close();
        vertx.close();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static SmokeTests.Check check(String path, Optional<String> body, int retries) {
        return new SmokeTests.Check(path, 200, body, retries, Duration.ofSeconds(1));
    }

    @Test
    void theExpectedStatusAndBodyPass() throws InterruptedException {
        assertThat(smokeTests.run(baseUrl, check("/ok", Optional.of("ok"), 0))).isNull();
    }

    @Test
    void anotherStatusFailsAfterEveryAttempt() throws InterruptedException {
        assertThat(smokeTests.run(baseUrl, check("/broken", Optional.empty(), 1)))
                .isEqualTo("GET /broken answered 503, expected 200 (after 2 attempts)");
    }

    @Test
    void aBodyWithoutTheTextFails() throws InterruptedException {
        assertThat(smokeTests.run(baseUrl, check("/ok", Optional.of("healthy"), 0)))
                .isEqualTo("GET /ok answered 200 without 'healthy' in its body (after 1 attempts)");
        assertThat(smokeTests.run(baseUrl, check("/empty", Optional.of("ok"), 0)))
                .isEqualTo("GET /empty answered 200 without 'ok' in its body (after 1 attempts)");
    }

    @Test
    void aRetryThatSucceedsPasses() throws InterruptedException {
        assertThat(smokeTests.run(baseUrl, check("/flaky", Optional.empty(), 3)))
                .isNull();
        assertThat(FLAKY_CALLS).hasValue(3);
    }

    @Test
    void nobodyListeningIsReportedWithTheCause() throws IOException, InterruptedException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        assertThat(smokeTests.run("http://127.0.0.1:" + closedPort, check("/ok", Optional.empty(), 0)))
                .startsWith("GET /ok failed: Connection refused: ")
                .endsWith("(after 1 attempts)");
    }

    @Test
    void anAnswerLaterThanTheTimeoutFails() throws InterruptedException {
        assertThat(smokeTests.run(baseUrl, check("/slow", Optional.empty(), 0)))
                .startsWith("GET /slow failed: The timeout period of 1000ms has been exceeded")
                .endsWith("(after 1 attempts)");
    }
}
