package io.berrys.mesh.events.testing;

import java.nio.file.Path;
import java.util.Map;

/**
 * A Redis of the test's own on a free port, started through {@code deploy/local/servers.sh} (AOF on), for tests
 * that restart the server under the mesh's feet.
 */
public final class PrivateRedis implements AutoCloseable {

    private final int port;
    private final int tlsPort;
    private final Path stateDir;

    private PrivateRedis(int port, int tlsPort, Path stateDir) {
        this.port = port;
        this.tlsPort = tlsPort;
        this.stateDir = stateDir;
    }

    public static PrivateRedis start(Path stateDir) {
        PrivateRedis redis =
                new PrivateRedis(LocalServers.freePort(), LocalServers.freePort(), stateDir.toAbsolutePath());
        redis.run("start");
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Its admin (the default user), whose password servers.sh generated in this server's state directory. */
    public io.vertx.redis.client.RedisOptions adminOptions() {
        try {
            String password = java.nio.file.Files.readString(stateDir.resolve("redis-" + port + "/secrets/default"))
                    .strip();
            return new io.vertx.redis.client.RedisOptions()
                    .setConnectionString(url())
                    .setPassword(password);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the private Redis on " + port + " has no admin password file", e);
        }
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
        LocalServers.runServersScript(
                action,
                "redis",
                Map.of(
                        "MESH_REDIS_PORT",
                        Integer.toString(port),
                        "MESH_REDIS_TLS_PORT",
                        Integer.toString(tlsPort),
                        "MESH_LOCAL_DIR",
                        stateDir.toString()));
    }
}
