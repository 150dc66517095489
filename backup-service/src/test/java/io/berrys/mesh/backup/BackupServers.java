package io.berrys.mesh.backup;

import io.berrys.mesh.events.testing.LocalServers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsClient;

/**
 * The backup-service's test world on real servers: databases of its own on the local PostgreSQL (a source with
 * data, an empty target), buckets of its own on the moto server, and an RDS instance there for the snapshot path.
 */
public class BackupServers implements QuarkusTestResourceLifecycleManager {

    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String SOURCE = "it_backup_src_" + RUN;
    static final String TARGET = "it_backup_target_" + RUN;
    static final String BUCKET = "it-backups-" + RUN;
    static final String RDS_INSTANCE = "berrys-it-" + RUN;
    static LocalServers.Postgres postgres;
    static String endpoint;

    @Override
    public Map<String, String> start() {
        postgres = LocalServers.requirePostgres();
        endpoint = LocalServers.requireMoto();
        try {
            execute(postgres.database(), "create database " + SOURCE, "create database " + TARGET);
            execute(
                    SOURCE,
                    "create table agents (id serial primary key, name text not null, created timestamptz default now())",
                    "insert into agents (name) select 'agent-' || n from generate_series(1, 1000) n",
                    "create schema planning",
                    "create table planning.tasks (id bigint primary key, agent int references agents(id), body jsonb)",
                    "insert into planning.tasks select n, 1 + n % 1000, jsonb_build_object('n', n) from generate_series(1, 2500) n");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the test databases: " + e.getMessage(), e);
        }
        try (RdsClient rds = RdsClient.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create(endpoint))
                .build()) {
            rds.createDBInstance(request -> request.dbInstanceIdentifier(RDS_INSTANCE)
                    .engine("postgres")
                    .dbInstanceClass("db.t3.micro")
                    .allocatedStorage(20)
                    .masterUsername("berrys")
                    .masterUserPassword("not-used-by-the-mesh"));
        }
        Map<String, String> config = new HashMap<>();
        config.put("mesh.backup.s3.endpoint", endpoint);
        config.put("mesh.backup.s3.bucket", BUCKET);
        config.put("mesh.backup.s3.replica-bucket", BUCKET + "-replica");
        database(config, "src", SOURCE);
        database(config, "target", TARGET);
        database(config, "rds", SOURCE);
        config.put("mesh.backup.databases.rds.rds-instance", RDS_INSTANCE);
        database(config, "missing", "it_backup_no_such_database");
        config.put("mesh.backup.databases.main.scheduled", "false");
        return config;
    }

    private static void database(Map<String, String> config, String name, String database) {
        String prefix = "mesh.backup.databases." + name + ".";
        config.put(prefix + "host", postgres.host());
        config.put(prefix + "port", Integer.toString(postgres.port()));
        config.put(prefix + "database", database);
        config.put(prefix + "user", postgres.user());
        config.put(prefix + "password", postgres.password());
        config.put(prefix + "scheduled", "false");
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
        try {
            execute(
                    postgres.database(),
                    "drop database if exists " + SOURCE + " with (force)",
                    "drop database if exists " + TARGET + " with (force)");
        } catch (SQLException e) {
            // left for the next run's clean-up of it_backup_* databases
        }
    }
}
