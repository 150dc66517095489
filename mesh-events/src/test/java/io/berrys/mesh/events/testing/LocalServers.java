package io.berrys.mesh.events.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find their servers: the ones {@code deploy/local/servers.sh} started, or any given through
 * {@code MESH_REDIS_URL}. A missing server fails the test with the command that starts it; nothing is skipped.
 */
public final class LocalServers {

    public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6390";

    private LocalServers() {}

    public static String redisUrl() {
        String url = System.getProperty("mesh.redis.url", System.getenv("MESH_REDIS_URL"));
        return url == null || url.isBlank() ? DEFAULT_REDIS_URL : url;
    }

    /** The Redis URL, after checking that something answers there. */
    public static String requireRedis() {
        String url = redisUrl();
        URI uri = URI.create(url);
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), port), 2_000);
        } catch (IOException e) {
            throw new IllegalStateException("Redis is not reachable at " + url + " (" + e.getMessage() + ")."
                    + " Start it with 'deploy/local/servers.sh start redis', or point MESH_REDIS_URL at a running"
                    + " server. deploy/local/test.sh does both for you.");
        }
        return url;
    }

    /** The repository root, found from the working directory of the test (a module folder). */
    public static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isExecutable(dir.resolve("deploy/local/servers.sh"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "cannot find deploy/local/servers.sh above " + Path.of("").toAbsolutePath());
    }
}
