package io.berrys.mesh.events.testing;

import java.nio.file.Path;
import java.util.Map;

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
        PrivatePostgres postgres = new PrivatePostgres(LocalServers.freePort(), stateDir.toAbsolutePath());
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
        LocalServers.runServersScript(
                action,
                "postgres",
                Map.of(
                        "MESH_PG_PORT",
                        Integer.toString(port),
                        "MESH_PG_USER",
                        "mesh",
                        "MESH_PG_PASSWORD",
                        "mesh",
                        "MESH_LOCAL_DIR",
                        stateDir.toString()));
    }
}
