package io.berrys.mesh.events.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis of the test's own on a free port, started through {@code deploy/local/servers.sh} (AOF on), for tests
 * that restart the server under the mesh's feet.
 */
public final class PrivateRedis implements AutoCloseable {

    private final int port;
    private final Path stateDir;

    private PrivateRedis(int port, Path stateDir) {
        this.port = port;
        this.stateDir = stateDir;
    }

    public static PrivateRedis start(Path stateDir) {
        PrivateRedis redis = new PrivateRedis(freePort(), stateDir.toAbsolutePath());
        redis.run("start");
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public void restart() {
        run("restart");
    }

    public void stop() {
        run("stop");
    }

    @Override
    public void close() {
        stop();
    }

    private void run(String action) {
        Path script = LocalServers.repoRoot().resolve("deploy/local/servers.sh");
        ProcessBuilder builder =
                new ProcessBuilder(List.of(script.toString(), action, "redis")).redirectErrorStream(true);
        builder.environment().remove("MESH_REDIS_URL");
        builder.environment().put("MESH_REDIS_PORT", Integer.toString(port));
        builder.environment().put("MESH_LOCAL_DIR", stateDir.toString());
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(
                        "servers.sh " + action + " redis on port " + port + " failed:\n" + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running servers.sh " + action, e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }
}
