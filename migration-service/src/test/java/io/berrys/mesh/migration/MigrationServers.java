package io.berrys.mesh.migration;

import io.berrys.mesh.events.testing.LocalServers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A database of its own per scenario on the local PostgreSQL, and the moto server for S3 migration sets. */
public class MigrationServers implements QuarkusTestResourceLifecycleManager {

    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final List<String> DATABASES =
            List.of("happy", "failing", "concurrent", "lint", "drift", "nobackup", "s3", "platform");
    static LocalServers.Postgres postgres;
    static String endpoint;

    static String databaseName(String logical) {
        return "it_mig_" + logical + "_" + RUN;
    }

    @Override
    public Map<String, String> start() {
        postgres = LocalServers.requirePostgres();
        endpoint = LocalServers.requireMoto();
        Map<String, String> config = new HashMap<>();
        try {
            for (String logical : DATABASES) {
                execute(postgres.database(), "create database " + databaseName(logical));
                String prefix = "mesh.migration.databases." + logical + ".";
                config.put(prefix + "host", postgres.host());
                config.put(prefix + "port", Integer.toString(postgres.port()));
                config.put(prefix + "database", databaseName(logical));
                config.put(prefix + "user", postgres.user());
                config.put(prefix + "password", postgres.password());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the test databases: " + e.getMessage(), e);
        }
        config.put("mesh.migration.s3.endpoint", endpoint);
        return config;
    }

    static void execute(String database, String... statements) throws SQLException {
        try (Connection connection = postgres.connect(database);
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    @Override
    public void stop() {
        for (String logical : DATABASES) {
            try {
                execute(postgres.database(), "drop database if exists " + databaseName(logical) + " with (force)");
            } catch (SQLException e) {
                // left behind; harmless
            }
        }
    }
}
