package io.berrys.mesh.backup;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Figures for {@code bench/backup.sh}: on a pgbench database of at least 500 MB, {@code pg_dump -Fc > /dev/null}
 * against the service's backup of the same database to S3 (moto), in the same run. Throughput is the database's
 * size over the elapsed time, so the ratio is the ratio of the two times. Not part of the test suite.
 */
@QuarkusTest
@TestProfile(BackupBenchmark.Bench.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(RedisServerResource.class)
class BackupBenchmark {

    static final String DATABASE = "mesh_bench_backup";
    static final int SCALE = Integer.getInteger("bench.scale", 40);

    public static class Bench implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            LocalServers.Postgres postgres = LocalServers.requirePostgres();
            String prefix = "mesh.backup.databases.bench.";
            return Map.of(
                    "mesh.backup.s3.endpoint",
                    LocalServers.requireMoto(),
                    "mesh.backup.s3.bucket",
                    "mesh-bench-backups",
                    "mesh.backup.s3.replica-bucket",
                    "mesh-bench-backups-replica",
                    prefix + "host",
                    postgres.host(),
                    prefix + "port",
                    Integer.toString(postgres.port()),
                    prefix + "database",
                    DATABASE,
                    prefix + "user",
                    postgres.user(),
                    prefix + "password",
                    postgres.password(),
                    prefix + "scheduled",
                    "false");
        }
    }

    @Inject
    BackupEngine engine;

    @Test
    void measure() throws Exception {
        LocalServers.Postgres postgres = LocalServers.requirePostgres();
        long bytes = ensureDatabase(postgres);
        double megabytes = bytes / (1024.0 * 1024.0);
        System.err.printf("[bench] database %s: %.0f MB%n", DATABASE, megabytes);

        engine.ensureBuckets();
        // Both paths read the same pages; one unmeasured dump first, so neither pays for a cold cache alone.
        dumpToNull(postgres);
        // And one unmeasured backup, so the figures are not the JVM's first S3 calls and first-time JIT.
        engine.backup("bench", null, "bench-warmup-" + System.nanoTime(), false, message -> {});
        long dumpNanos = dumpToNull(postgres);
        long started = System.nanoTime();
        BackupEngine.Backup backup = engine.backup("bench", null, "bench-" + System.nanoTime(), false, message -> {});
        long backupNanos = System.nanoTime() - started;
        started = System.nanoTime();
        engine.backup("bench", null, "bench-counted-" + System.nanoTime(), true, message -> {});
        long countedNanos = System.nanoTime() - started;

        double dumpRate = megabytes / (dumpNanos / 1e9);
        double backupRate = megabytes / (backupNanos / 1e9);
        double countedRate = megabytes / (countedNanos / 1e9);
        System.out.printf("database_mb=%.0f%n", megabytes);
        System.out.printf("dump_mb=%.1f%n", backup.manifest().size() / (1024.0 * 1024.0));
        System.out.printf("pg_dump_seconds=%.2f%n", dumpNanos / 1e9);
        System.out.printf("backup_to_s3_seconds=%.2f%n", backupNanos / 1e9);
        System.out.printf("pg_dump_mb_per_s=%.1f%n", dumpRate);
        System.out.printf("backup_to_s3_mb_per_s=%.1f%n", backupRate);
        System.out.printf("ratio=%.2f%n", backupRate / dumpRate);
        // A pipeline with full verification also counts every table's rows in the dump's snapshot while it runs.
        System.out.printf("backup_with_row_counts_mb_per_s=%.1f%n", countedRate);
        System.out.printf("ratio_with_row_counts=%.2f%n", countedRate / dumpRate);
    }

    private static long dumpToNull(LocalServers.Postgres postgres) throws IOException, InterruptedException {
        ProcessBuilder dump = new ProcessBuilder(List.of(
                        "pg_dump",
                        "--format=custom",
                        "--host=" + postgres.host(),
                        "--port=" + postgres.port(),
                        "--username=" + postgres.user(),
                        "--no-password",
                        "--dbname=" + DATABASE))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        dump.environment().put("PGPASSWORD", postgres.password());
        long started = System.nanoTime();
        int exit = dump.start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException("pg_dump exited with " + exit);
        }
        return System.nanoTime() - started;
    }

    /** Creates the pgbench database once (scale 40 is about 600 MB); later runs reuse it. */
    private static long ensureDatabase(LocalServers.Postgres postgres) throws Exception {
        String admin = "jdbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + postgres.database();
        try (Connection connection = DriverManager.getConnection(admin, postgres.user(), postgres.password())) {
            ResultSet exists = connection
                    .createStatement()
                    .executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'");
            if (!exists.next()) {
                connection.createStatement().execute("create database " + DATABASE);
                System.err.println("[bench] generating the pgbench database (scale " + SCALE + ")...");
                ProcessBuilder init = new ProcessBuilder(List.of(
                                "pgbench",
                                "-i",
                                "-q",
                                "-s",
                                Integer.toString(SCALE),
                                "--host=" + postgres.host(),
                                "--port=" + postgres.port(),
                                "--username=" + postgres.user(),
                                DATABASE))
                        .redirectErrorStream(true);
                init.environment().put("PGPASSWORD", postgres.password());
                Process process = init.start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (process.waitFor() != 0) {
                    throw new IllegalStateException("pgbench -i failed: " + output);
                }
            }
            ResultSet size = connection.createStatement().executeQuery("select pg_database_size('" + DATABASE + "')");
            size.next();
            return size.getLong(1);
        }
    }
}
