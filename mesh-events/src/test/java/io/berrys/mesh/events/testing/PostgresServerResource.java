package io.berrys.mesh.events.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Points the application under test at a database of its own, {@code <database>_test}, on the local PostgreSQL (or
 * MESH_PG_URL), creating it when missing: tests may wipe it, and the demo's data stays untouched.
 */
public class PostgresServerResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        LocalServers.Postgres server = LocalServers.requirePostgres();
        LocalServers.Postgres tests = new LocalServers.Postgres(
                server.host(), server.port(), server.database() + "_test", server.user(), server.password());
        createIfMissing(server, tests.database());
        return Map.of(
                "quarkus.datasource.reactive.url", tests.reactiveUrl(),
                "quarkus.datasource.jdbc.url", tests.jdbcUrl(),
                "quarkus.datasource.username", tests.user(),
                "quarkus.datasource.password", tests.password());
    }

    private static void createIfMissing(LocalServers.Postgres server, String database) {
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
                PreparedStatement exists = connection.prepareStatement("select 1 from pg_database where datname = ?")) {
            exists.setString(1, database);
            try (ResultSet found = exists.executeQuery()) {
                if (!found.next()) {
                    try (Statement create = connection.createStatement()) {
                        create.execute("create database \"" + database + "\"");
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot prepare the test database " + database + " on " + server.host() + ":" + server.port()
                            + " as " + server.user() + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public void stop() {}
}
