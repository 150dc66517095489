package io.berrys.mesh.events.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL of the test's own on a free port, started through {@code deploy/local/servers.sh}, for tests that
 * restart the database under a running service.
 */
public final class PrivatePostgres {

    private final int port;
    private final Path stateDir;

    private PrivatePostgres(int port, Path stateDir) {
        this.port = port;
        this.stateDir = stateDir;
    }

    public static PrivatePostgres start(Path stateDir) {
        PrivatePostgres postgres = new PrivatePostgres(freePort(), stateDir.toAbsolutePath());
        postgres.run("start");
        return postgres;
    }

    public LocalServers.Postgres server() {
        return new LocalServers.Postgres("127.0.0.1", port, "mesh", "mesh", "mesh");
    }

    public void restart() {
        run("restart");
    }

    public void stop() {
        run("stop");
    }

    private void run(String action) {
        Path script = LocalServers.repoRoot().resolve("deploy/local/servers.sh");
        ProcessBuilder builder =
                new ProcessBuilder(List.of(script.toString(), action, "postgres")).redirectErrorStream(true);
        builder.environment().remove("MESH_PG_URL");
        builder.environment().put("MESH_PG_PORT", Integer.toString(port));
        builder.environment().put("MESH_PG_USER", "mesh");
        builder.environment().put("MESH_PG_PASSWORD", "mesh");
        builder.environment().put("MESH_LOCAL_DIR", stateDir.toString());
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(
                        "servers.sh " + action + " postgres on port " + port + " failed:\n" + output);
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
