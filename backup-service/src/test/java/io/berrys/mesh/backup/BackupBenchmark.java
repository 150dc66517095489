package io.berrys.mesh.backup;

import io.berrys.mesh.backup.store.AwsClients;
import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;

/**
 * Figures for {@code bench/backup.sh}: {@code pg_dump -Fc > /dev/null} against the service's backup of the same
 * database to S3 (moto), in the same run, on a database whose dump is at least 500 MB. Throughput is the bytes
 * uploaded (the stored object's size, from HeadObject) over the elapsed time, for both, so the ratio compares the
 * two paths on the bytes that actually travel to S3. The backup counts rows as a production release's does
 * ({@code backup-verify=full}, the default, makes {@link BackupHandlers} ask for the counts), with the service's
 * production part size. Not part of the test suite.
 */
@QuarkusTest
@TestProfile(BackupBenchmark.Bench.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(RedisServerResource.class)
class BackupBenchmark {

    static final String DATABASE = "mesh_bench_backup";
    /** pgbench's tables: ordinary rows, which compress to almost nothing (scale 40 is 606 MB, 10.7 MB dumped). */
    static final int SCALE = Integer.getInteger("bench.scale", 40);
    /** Random bytes that pg_dump cannot compress, so the dump, and the upload, is about this large. */
    static final int RANDOM_MB = Integer.getInteger("bench.random-mb", 600);

    static final int RUNS = Integer.getInteger("bench.runs", 1);
    /** Under this the dump is too small for the question (upload throughput), and the run fails instead. */
    static final long MIN_DUMP_BYTES = 500L * 1024 * 1024;

    private static final double MB = 1024.0 * 1024.0;
    /** One row of random bytes; small enough to stay in the table's own pages (not TOAST), which row counting scans. */
    private static final int ROW_BYTES = 1024;

    public static class Bench implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            LocalServers.Postgres postgres = LocalServers.requirePostgres();
            String prefix = "mesh.backup.databases.bench.";
            return Map.ofEntries(
                    Map.entry("mesh.backup.s3.endpoint", LocalServers.requireMoto()),
                    Map.entry("mesh.backup.s3.bucket", "mesh-bench-backups"),
                    Map.entry("mesh.backup.s3.replica-bucket", "mesh-bench-backups-replica"),
                    // The tests' 5 MiB parts and 1 s lock wait (application.properties, %test) are not what
                    // production runs with: back to the defaults of BackupConfig, under both names, so neither wins.
                    Map.entry("mesh.backup.s3.part-size", "16777216"),
                    Map.entry("%test.mesh.backup.s3.part-size", "16777216"),
                    Map.entry("mesh.backup.lock-wait-timeout", "PT2M"),
                    Map.entry("%test.mesh.backup.lock-wait-timeout", "PT2M"),
                    Map.entry(prefix + "host", postgres.host()),
                    Map.entry(prefix + "port", Integer.toString(postgres.port())),
                    Map.entry(prefix + "database", DATABASE),
                    Map.entry(prefix + "user", postgres.user()),
                    Map.entry(prefix + "password", postgres.password()),
                    Map.entry(prefix + "scheduled", "false"));
        }
    }

    @Inject
    BackupEngine engine;

    @Inject
    BackupConfig config;

    @Inject
    AwsClients aws;

    /** One backup as measured: what S3 holds, and how long the streaming and the whole call took. */
    record Measured(long storedBytes, double streamSeconds, double totalSeconds, long rowsCounted) {}

    /** One run: pg_dump alone, the production backup (rows counted), and one without counts (staging's quick). */
    record Run(double dumpSeconds, Measured counted, Measured quick) {
        double dumpRate() {
            // On the bytes the backup uploaded: the same database, format and compression, so pg_dump's output.
            return counted.storedBytes() / MB / dumpSeconds;
        }

        double backupRate() {
            return counted.storedBytes() / MB / counted.streamSeconds();
        }

        double quickRate() {
            return quick.storedBytes() / MB / quick.streamSeconds();
        }
    }

    @Test
    void measure() throws Exception {
        if (RUNS < 1) {
            throw new IllegalArgumentException("bench.runs must be at least 1, got " + RUNS);
        }
        LocalServers.Postgres postgres = LocalServers.requirePostgres();
        long databaseBytes = ensureDatabase(postgres);
        System.err.printf(
                "[bench] database %s: %.0f MB (pgbench scale %d and %d MB of random bytes); part size %d MiB%n",
                DATABASE, databaseBytes / MB, SCALE, RANDOM_MB, config.s3().partSize() / (1024 * 1024));

        engine.ensureBuckets();
        // Leftovers of an earlier run (kept as noncurrent versions) would only make moto slower and bigger.
        deleteBenchObjects();
        // Both paths read the same pages; one unmeasured dump first, so neither pays for a cold cache alone. It
        // counts its output: a database that dumps small measures pg_dump's compression, not the upload, so the
        // run stops here instead of printing figures that answer another question.
        long dumpBytes = dumpCounting(postgres);
        System.err.printf("[bench] pg_dump -Fc writes %.1f MB%n", dumpBytes / MB);
        if (dumpBytes < MIN_DUMP_BYTES) {
            throw new IllegalStateException(String.format(
                    "dump_mb=%.1f: the dump of %s is under 500 MB; raise BENCH_RANDOM_MB (now %d) and run again",
                    dumpBytes / MB, DATABASE, RANDOM_MB));
        }
        // And one unmeasured backup, so the figures are not the JVM's first S3 calls and first-time JIT.
        backup(true, "bench-warmup");

        List<Run> runs = new ArrayList<>();
        for (int run = 1; run <= RUNS; run++) {
            double dumpSeconds = dumpToNull(postgres) / 1e9;
            Measured counted = backup(true, "bench-" + run);
            Measured quick = backup(false, "bench-quick-" + run);
            runs.add(new Run(dumpSeconds, counted, quick));
            System.err.printf(
                    "[bench] run %d of %d: pg_dump %.2f s, backup %.2f s (%.2f s with the copies), without row"
                            + " counts %.2f s%n",
                    run, RUNS, dumpSeconds, counted.streamSeconds(), counted.totalSeconds(), quick.streamSeconds());
        }
        Run last = runs.get(runs.size() - 1);
        if (last.counted().storedBytes() < MIN_DUMP_BYTES) {
            throw new IllegalStateException(String.format(
                    "dump_mb=%.1f: the uploaded backup is under 500 MB",
                    last.counted().storedBytes() / MB));
        }

        // Every figure below is the median over this many runs.
        System.out.printf("runs=%d%n", runs.size());
        System.out.printf("database_mb=%.0f%n", databaseBytes / MB);
        // What S3 holds (HeadObject's Content-Length), the bytes both throughputs are computed on.
        System.out.printf("dump_mb=%.1f%n", median(runs, run -> run.counted().storedBytes() / MB));
        System.out.printf("pg_dump_seconds=%.2f%n", median(runs, Run::dumpSeconds));
        // From the start of the dump to the upload completed and the row counts in: what the ratio compares.
        System.out.printf(
                "backup_to_s3_seconds=%.2f%n", median(runs, run -> run.counted().streamSeconds()));
        // The whole backup, with the metadata rewrite (a copy in place), the copy to the replica and the manifest.
        System.out.printf(
                "backup_total_seconds=%.2f%n", median(runs, run -> run.counted().totalSeconds()));
        System.out.printf("pg_dump_mb_per_s=%.1f%n", median(runs, Run::dumpRate));
        System.out.printf("backup_to_s3_mb_per_s=%.1f%n", median(runs, Run::backupRate));
        System.out.printf("ratio=%.2f%n", median(runs, run -> run.backupRate() / run.dumpRate()));
        // That the counting ran: the rows the manifest holds for a full verification.
        System.out.printf("rows_counted=%d%n", last.counted().rowsCounted());
        // Staging's backups (backup-verify=quick) skip the counting; what it costs on this machine.
        System.out.printf("backup_without_row_counts_mb_per_s=%.1f%n", median(runs, Run::quickRate));
        System.out.printf("ratio_without_row_counts=%.2f%n", median(runs, run -> run.quickRate() / run.dumpRate()));
    }

    /** A backup as the backup-service makes it for a release; its objects are deleted once measured. */
    private Measured backup(boolean countRows, String label) throws Exception {
        long started = System.nanoTime();
        BackupEngine.Backup backup = engine.backup("bench", null, label + "-" + System.nanoTime(), countRows, m -> {});
        long totalNanos = System.nanoTime() - started;
        if (backup.reused()) {
            throw new IllegalStateException("the backup " + backup.key() + " was found, not made");
        }
        long stored = aws.s3()
                .headObject(request -> request.bucket(engine.bucket()).key(backup.key()))
                .contentLength();
        if (stored != backup.manifest().size()) {
            throw new IllegalStateException("S3 holds " + stored + " bytes of " + backup.key() + ", the manifest says "
                    + backup.manifest().size());
        }
        long rows = -1;
        if (countRows) {
            Map<String, Long> counts = backup.manifest().rowCounts();
            if (counts == null || counts.isEmpty()) {
                throw new IllegalStateException("the backup " + backup.key() + " has no row counts");
            }
            rows = counts.values().stream().mapToLong(Long::longValue).sum();
        }
        deleteBenchObjects();
        return new Measured(stored, backup.dumpMs() / 1e3, totalNanos / 1e9, rows);
    }

    /** Every version of every object of the bench database, in both buckets (versioning keeps what is replaced). */
    private void deleteBenchObjects() {
        String prefix = config.s3().prefix() + "bench/";
        deleteVersions(aws.s3(), engine.bucket(), prefix);
        deleteVersions(aws.replicaS3(), config.s3().replicaBucket(), prefix);
    }

    private static void deleteVersions(S3Client s3, String bucket, String prefix) {
        List<ObjectIdentifier> versions = new ArrayList<>();
        // Listed in full first: deleting while paging would move the pages.
        s3.listObjectVersionsPaginator(request -> request.bucket(bucket).prefix(prefix))
                .forEach(page -> {
                    page.versions()
                            .forEach(version -> versions.add(ObjectIdentifier.builder()
                                    .key(version.key())
                                    .versionId(version.versionId())
                                    .build()));
                    page.deleteMarkers()
                            .forEach(marker -> versions.add(ObjectIdentifier.builder()
                                    .key(marker.key())
                                    .versionId(marker.versionId())
                                    .build()));
                });
        for (ObjectIdentifier version : versions) {
            s3.deleteObject(request -> request.bucket(bucket).key(version.key()).versionId(version.versionId()));
        }
    }

    private static double median(List<Run> runs, ToDoubleFunction<Run> figure) {
        double[] values = runs.stream().mapToDouble(figure).sorted().toArray();
        int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static ProcessBuilder pgDump(LocalServers.Postgres postgres) {
        ProcessBuilder dump = new ProcessBuilder(List.of(
                        "pg_dump",
                        "--format=custom",
                        "--host=" + postgres.host(),
                        "--port=" + postgres.port(),
                        "--username=" + postgres.user(),
                        "--no-password",
                        "--dbname=" + DATABASE))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        dump.environment().put("PGPASSWORD", postgres.password());
        return dump;
    }

    /** pg_dump alone, straight to /dev/null: the baseline, timed. */
    private static long dumpToNull(LocalServers.Postgres postgres) throws IOException, InterruptedException {
        ProcessBuilder dump = pgDump(postgres).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        long started = System.nanoTime();
        int exit = dump.start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException("pg_dump exited with " + exit);
        }
        return System.nanoTime() - started;
    }

    /** pg_dump read through this JVM, untimed, for the size of its output. */
    private static long dumpCounting(LocalServers.Postgres postgres) throws IOException, InterruptedException {
        Process process = pgDump(postgres).start();
        long bytes;
        try (InputStream output = process.getInputStream()) {
            bytes = output.transferTo(OutputStream.nullOutputStream());
        }
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("pg_dump exited with " + exit);
        }
        return bytes;
    }

    /**
     * Creates what is missing, once, and keeps it for later runs: the database, pgbench's tables (scale
     * {@link #SCALE}) and {@code bench_random}, {@link #RANDOM_MB} MB of random bytes, topped up when more is asked
     * for. Returns the database's size.
     */
    private static long ensureDatabase(LocalServers.Postgres postgres) throws Exception {
        try (Connection admin = postgres.connect(postgres.database())) {
            ResultSet exists = admin.createStatement()
                    .executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'");
            if (!exists.next()) {
                admin.createStatement().execute("create database " + DATABASE);
            }
        }
        try (Connection connection = postgres.connect(DATABASE)) {
            // By what pgbench -i makes last (its primary keys), not the database: one that died halfway runs again.
            if (!hasRelation(connection, "pgbench_accounts_pkey")) {
                pgbenchInit(postgres);
            }
            fillRandom(connection);
            ResultSet size = connection.createStatement().executeQuery("select pg_database_size(current_database())");
            size.next();
            return size.getLong(1);
        }
    }

    private static boolean hasRelation(Connection connection, String relation) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select to_regclass(?) is not null")) {
            statement.setString(1, "public." + relation);
            ResultSet rows = statement.executeQuery();
            rows.next();
            return rows.getBoolean(1);
        }
    }

    private static void pgbenchInit(LocalServers.Postgres postgres) throws IOException, InterruptedException {
        System.err.println("[bench] generating the pgbench tables (scale " + SCALE + ")...");
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

    /**
     * Rows of {@link #ROW_BYTES} random bytes (MD5s of random numbers, decoded), up to {@link #RANDOM_MB} MB. pg_dump
     * writes them as hex and compresses that back to about their own size, so they make the dump as large as they
     * are. In batches of 64 MB, each committed, so an interrupted fill is topped up by the next run.
     */
    private static void fillRandom(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(
                    "create table if not exists bench_random (id bigint primary key, payload bytea not null)");
        }
        long have;
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select coalesce(max(id), 0) from bench_random")) {
            rows.next();
            have = rows.getLong(1);
        }
        long want = (long) RANDOM_MB * 1024 * 1024 / ROW_BYTES;
        if (have >= want) {
            return;
        }
        System.err.printf(
                "[bench] filling bench_random with %d MB of random bytes...%n", (want - have) * ROW_BYTES >> 20);
        int md5sPerRow = ROW_BYTES / 16;
        long batch = 64L * 1024 * 1024 / ROW_BYTES;
        // The subquery refers to the row's id, so it runs once per row, not once for all of them.
        String insert = "insert into bench_random (id, payload)"
                + " select i, (select decode(string_agg(md5(random()::text || ':' || i || ':' || j), ''), 'hex')"
                + " from generate_series(1, " + md5sPerRow + ") j)"
                + " from generate_series(?::bigint, ?::bigint) i";
        try (PreparedStatement statement = connection.prepareStatement(insert)) {
            for (long from = have + 1; from <= want; from += batch) {
                long to = Math.min(want, from + batch - 1);
                statement.setLong(1, from);
                statement.setLong(2, to);
                statement.executeUpdate();
                System.err.printf("[bench] bench_random: %d of %d MB%n", to * ROW_BYTES >> 20, want * ROW_BYTES >> 20);
            }
        }
        // Hint bits and the visibility map set now, so the first measured reads do not write them.
        try (Statement statement = connection.createStatement()) {
            statement.execute("vacuum analyze bench_random");
        }
    }
}
