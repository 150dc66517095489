package io.berrys.mesh.rollout;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HTTP server standing in for the new version's pods behind the preview Service: {@code /<service>/<path>}
 * answers 200 "ok", or 503 for services a test marks as broken. The rollout-service reaches it through
 * {@code mesh.rollout.smoke.base-url}.
 */
public class SmokeTarget implements QuarkusTestResourceLifecycleManager {

    static final Set<String> BROKEN = ConcurrentHashMap.newKeySet();
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the smoke target", e);
        }
        server.createContext("/", exchange -> {
            String service = exchange.getRequestURI().getPath().split("/")[1];
            boolean broken = BROKEN.contains(service);
            byte[] body = (broken ? "unavailable" : "ok").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(broken ? 503 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return Map.of(
                "mesh.rollout.smoke.base-url",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/{service}",
                "mesh.rollout.smoke.checks[0].path",
                "/health",
                "mesh.rollout.smoke.checks[0].body",
                "ok",
                "mesh.rollout.smoke.checks[0].retries",
                "1");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
