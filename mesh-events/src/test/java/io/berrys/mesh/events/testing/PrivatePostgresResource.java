package io.berrys.mesh.events.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/** Points the application at a {@link PrivatePostgres} that the test may restart ({@link #server()}). */
public class PrivatePostgresResource implements QuarkusTestResourceLifecycleManager {

    private static volatile PrivatePostgres server;

    public static PrivatePostgres server() {
        return server;
    }

    @Override
    public Map<String, String> start() {
        server = PrivatePostgres.start(Path.of("target", "private-postgres"));
        LocalServers.Postgres postgres = server.server();
        return Map.of(
                "quarkus.datasource.reactive.url", postgres.reactiveUrl(),
                "quarkus.datasource.jdbc.url", postgres.jdbcUrl(),
                "quarkus.datasource.username", postgres.user(),
                "quarkus.datasource.password", postgres.password());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }
}
