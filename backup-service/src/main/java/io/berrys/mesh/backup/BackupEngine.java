package io.berrys.mesh.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.berrys.mesh.backup.postgres.PgServer;
import io.berrys.mesh.backup.store.AwsClients;
import io.berrys.mesh.backup.store.BackupFailed;
import io.berrys.mesh.backup.store.Manifest;
import io.berrys.mesh.backup.store.ProcessOutput;
import io.berrys.mesh.backup.store.StreamingUpload;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.rds.model.DbSnapshotAlreadyExistsException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketLifecycleConfiguration;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Backups of PostgreSQL databases to S3 ({@code pg_dump -Fc} streamed into a multipart upload), their verification
 * (checksum, then a restore into a scratch database whose row counts must match the source's at dump time),
 * restores, the copy to a second region, RDS snapshots and the retention sweep.
 */
@ApplicationScoped
public class BackupEngine {

    private static final Logger LOG = Logger.getLogger(BackupEngine.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    /** CopyObject's limit; larger backups keep their metadata in the manifest only. */
    private static final long SINGLE_COPY_LIMIT = 5L * 1024 * 1024 * 1024;

    private static final long PROGRESS_EVERY_BYTES = 256L * 1024 * 1024;

    private final BackupConfig config;
    private final AwsClients aws;
    private final Semaphore largeUploadBuffers;
    private volatile boolean bucketsReady;

    public BackupEngine(BackupConfig config, AwsClients aws) {
        this.config = config;
        this.aws = aws;
        // Each upload of a large dump holds two part buffers; concurrent backups share this much heap for them.
        this.largeUploadBuffers = new Semaphore(
                (int) Math.max(2, config.s3().uploadMemory() / config.s3().partSize()));
    }

    /** What a backup produced, for the finished event. */
    public record Backup(String location, String key, Manifest manifest, long dumpMs, boolean reused) {}

    /** What a verification found. */
    public record Verification(boolean verified, String mode, long verifyMs, String detail) {}

    public PgServer server(String name) throws BackupFailed {
        BackupConfig.Database database = config.databases().get(name);
        if (database == null) {
            throw new BackupFailed("unknown database '" + name + "'; configured: "
                    + config.databases().keySet());
        }
        if (!PLAIN_NAME.matcher(database.database()).matches()) {
            throw new BackupFailed("the database name of '" + name + "' must be a plain PostgreSQL name (letters,"
                    + " digits, _ . -, at most 40 characters)");
        }
        return new PgServer(name, database, PgServer.binDir(config));
    }

    private static final java.util.regex.Pattern PLAIN_NAME =
            java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}");

    /** A validated database name as an SQL identifier. */
    private static String identifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    public String bucket() {
        return config.s3().bucket();
    }

    // ------------------------------------------------------------------------------------------------ backup

    /**
     * Dumps {@code name} to S3 under a key derived from {@code runId} (the command's id), so a command delivered
     * again finds its backup instead of taking a second one.
     */
    public Backup backup(String name, String releaseId, String runId, boolean countRows, Consumer<String> progress)
            throws BackupFailed, InterruptedException {
        PgServer server = server(name);
        ensureBuckets();
        String key = keyFor(name, runId);
        Optional<Manifest> existing = manifest(key);
        if (existing.isPresent()) {
            return new Backup(location(key), key, existing.get(), 0, true);
        }
        long started = System.nanoTime();
        Instant createdAt = Instant.now();
        String serverVersion;
        Map<String, Long> counts;
        StreamingUpload.Uploaded uploaded;
        try (Connection snapshot = server.connect()) {
            // The dump and the row counts see the same snapshot, so a verification can demand equal counts.
            snapshot.setAutoCommit(false);
            snapshot.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            snapshot.setReadOnly(true);
            try (Statement statement = snapshot.createStatement()) {
                // Counting must not queue behind a migration's lock any longer than pg_dump does.
                statement.execute(
                        "set lock_timeout = " + config.lockWaitTimeout().toMillis());
            }
            serverVersion = PgServer.serverVersion(snapshot);
            String snapshotId;
            try (Statement statement = snapshot.createStatement();
                    ResultSet rows = statement.executeQuery("select pg_export_snapshot()")) {
                rows.next();
                snapshotId = rows.getString(1);
            }
            progress.accept("dumping " + name + " (PostgreSQL " + serverVersion + ")");
            // pg_dump gives up on a table another session holds locked (a migration, say) instead of waiting.
            Process dump = start(server.tool(
                    "pg_dump",
                    server.config().database(),
                    List.of(
                            "--format=custom",
                            "--snapshot=" + snapshotId,
                            "--lock-wait-timeout=" + config.lockWaitTimeout().toMillis())));
            ProcessOutput errors = new ProcessOutput(dump.getErrorStream(), "pg_dump");
            // Counted while pg_dump runs, in the transaction whose snapshot it uses: the same rows it sees. The
            // connection is only touched by the counting thread until it is done.
            // Only a full verification (or a restore) compares row counts; counting scans every table.
            CompletableFuture<Map<String, Long>> counting = countRows
                    ? CompletableFuture.supplyAsync(() -> {
                        try {
                            return PgServer.rowCounts(snapshot);
                        } catch (SQLException e) {
                            throw new CompletionException(e);
                        }
                    })
                    : CompletableFuture.completedFuture(null);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("database", name);
            metadata.put("release-id", String.valueOf(releaseId));
            metadata.put("created-at", createdAt.toString());
            metadata.put("server-version", serverVersion);
            long[] reported = {0};
            @SuppressWarnings("unchecked")
            Map<String, Long>[] countsHolder = new Map[1];
            try (InputStream output = dump.getInputStream()) {
                uploaded = new StreamingUpload(aws.s3(), config.s3().partSize(), largeUploadBuffers)
                        .upload(
                                bucket(),
                                key,
                                metadata,
                                output,
                                total -> {
                                    if (total - reported[0] >= PROGRESS_EVERY_BYTES) {
                                        reported[0] = total;
                                        progress.accept("uploaded " + total / (1024 * 1024) + " MiB of " + name);
                                    }
                                },
                                () -> {
                                    int exit = waitFor(dump);
                                    if (exit != 0) {
                                        throw new BackupFailed("pg_dump of " + name + " exited with " + exit + ": "
                                                + errors.text() + "; nothing was kept in S3");
                                    }
                                    // A backup without the counts a full verification needs is no backup.
                                    try {
                                        countsHolder[0] = counting.join();
                                    } catch (CompletionException e) {
                                        throw new BackupFailed("counting the rows of " + name + " failed: "
                                                + e.getCause().getMessage() + "; nothing was kept in S3");
                                    }
                                });
            } catch (IOException e) {
                dump.destroyForcibly();
                throw new BackupFailed("reading pg_dump's output failed: " + e.getMessage(), e);
            } catch (BackupFailed | RuntimeException | InterruptedException e) {
                dump.destroyForcibly();
                throw e;
            }
            counts = countsHolder[0];
        } catch (SQLException e) {
            throw new BackupFailed(
                    "cannot read " + name + " (" + server.config().host() + ":"
                            + server.config().port() + "/" + server.config().database() + "): " + e.getMessage(),
                    e);
        }
        long dumpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        try {
            return finish(server, key, releaseId, createdAt, serverVersion, counts, uploaded, dumpMs);
        } catch (BackupFailed | RuntimeException e) {
            // Without its manifest the object is not a backup: remove it, so a retry starts clean.
            deleteQuietly(aws.s3(), bucket(), key);
            deleteQuietly(aws.replicaS3(), config.s3().replicaBucket(), key);
            throw e;
        }
    }

    /** Metadata, the copy to the second region, the RDS snapshot, and the manifest that makes it a backup. */
    private Backup finish(
            PgServer server,
            String key,
            String releaseId,
            Instant createdAt,
            String serverVersion,
            Map<String, Long> counts,
            StreamingUpload.Uploaded uploaded,
            long dumpMs)
            throws BackupFailed {
        String name = server.name();

        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("database", name);
        metadata.put("release-id", String.valueOf(releaseId));
        metadata.put("created-at", createdAt.toString());
        metadata.put("size", Long.toString(uploaded.size()));
        metadata.put("sha256", uploaded.sha256());
        metadata.put("server-version", serverVersion);
        if (uploaded.size() <= SINGLE_COPY_LIMIT) {
            aws.s3()
                    .copyObject(request -> request.sourceBucket(bucket())
                            .sourceKey(key)
                            .destinationBucket(bucket())
                            .destinationKey(key)
                            .metadataDirective(MetadataDirective.REPLACE)
                            .contentType("application/octet-stream")
                            .metadata(metadata));
        }
        String replica = replicate(key, uploaded.size());
        String rdsSnapshot = server.config()
                .rdsInstance()
                .map(instance -> snapshotRds(name, instance, key))
                .orElse(null);
        Manifest manifest = new Manifest(
                name,
                releaseId,
                createdAt.toString(),
                uploaded.size(),
                uploaded.sha256(),
                serverVersion,
                counts,
                replica,
                rdsSnapshot);
        putManifest(key, manifest);
        copyToReplica(Manifest.key(key));
        LOG.infof(
                "Backed up %s to %s: %d bytes, sha256 %s, in %d ms",
                name, location(key), uploaded.size(), uploaded.sha256(), dumpMs);
        return new Backup(location(key), key, manifest, dumpMs, false);
    }

    private String keyFor(String name, String runId) {
        String safe = runId.replaceAll("[^A-Za-z0-9._-]", "-");
        // From the command alone, so the same command finds the same key whenever it is delivered again.
        return config.s3().prefix() + name + "/" + safe + ".dump";
    }

    private String replicate(String key, long size) {
        if (size > SINGLE_COPY_LIMIT) {
            LOG.warnf(
                    "%s is over 5 GiB: not copied to %s; configure S3 replication for such backups",
                    key, config.s3().replicaBucket());
            return "not copied: over 5 GiB, needs S3 replication";
        }
        copyToReplica(key);
        return "s3://" + config.s3().replicaBucket() + "/" + key + " ("
                + config.s3().replicaRegion() + ")";
    }

    private void copyToReplica(String key) {
        aws.replicaS3()
                .copyObject(request -> request.sourceBucket(bucket())
                        .sourceKey(key)
                        .destinationBucket(config.s3().replicaBucket())
                        .destinationKey(key));
    }

    /**
     * An RDS snapshot named after the backup, so a retried command finds it instead of taking another; copied to
     * the second region once RDS reports it available.
     */
    private String snapshotRds(String name, String instance, String key) {
        String id = ("mesh-" + name + "-" + shortHash(key)).toLowerCase().replaceAll("[^a-z0-9-]", "-");
        String arn;
        try {
            arn = aws.rds()
                    .createDBSnapshot(
                            request -> request.dbInstanceIdentifier(instance).dbSnapshotIdentifier(id))
                    .dbSnapshot()
                    .dbSnapshotArn();
        } catch (DbSnapshotAlreadyExistsException e) {
            arn = aws.rds()
                    .describeDBSnapshots(request -> request.dbSnapshotIdentifier(id))
                    .dbSnapshots()
                    .get(0)
                    .dbSnapshotArn();
        }
        aws.rds()
                .waiter()
                .waitUntilDBSnapshotAvailable(
                        request -> request.dbSnapshotIdentifier(id),
                        wait -> wait.waitTimeout(config.s3().rdsSnapshotTimeout()));
        String source = arn;
        try {
            aws.replicaRds()
                    .copyDBSnapshot(request -> request.sourceDBSnapshotIdentifier(source)
                            .targetDBSnapshotIdentifier(id)
                            .sourceRegion(config.s3().region()));
        } catch (DbSnapshotAlreadyExistsException e) {
            LOG.debugf(
                    "RDS snapshot %s was already copied to %s", id, config.s3().replicaRegion());
        }
        LOG.infof(
                "RDS snapshot %s of %s taken and copied to %s",
                id, instance, config.s3().replicaRegion());
        return id;
    }

    private static String shortHash(String text) {
        byte[] digest = StreamingUpload.sha256().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest).substring(0, 12);
    }

    private static void deleteQuietly(S3Client s3, String bucket, String key) {
        try {
            s3.deleteObject(request -> request.bucket(bucket).key(key));
        } catch (RuntimeException e) {
            LOG.warnf("Could not remove s3://%s/%s after a failed backup: %s", bucket, key, e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------- verification

    /** Quick: checksum and {@code pg_restore --list}. Full: checksum and a restore into a scratch database. */
    public Verification verify(PgServer server, String key, Manifest manifest, String mode)
            throws BackupFailed, InterruptedException {
        long started = System.nanoTime();
        checksum(key, manifest);
        String detail;
        if ("quick".equals(mode)) {
            detail = listArchive(server, key);
        } else {
            detail = restoreIntoScratch(server, key, manifest);
        }
        return new Verification(true, mode, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), detail);
    }

    private void checksum(String key, Manifest manifest) throws BackupFailed {
        MessageDigest sha256 = StreamingUpload.sha256();
        long size = 0;
        try (ResponseInputStream<GetObjectResponse> object = get(key)) {
            byte[] buffer = new byte[1 << 20];
            for (int read; (read = object.read(buffer)) >= 0; ) {
                sha256.update(buffer, 0, read);
                size += read;
            }
        } catch (IOException e) {
            throw new BackupFailed("reading " + location(key) + " back failed: " + e.getMessage(), e);
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (size != manifest.size() || !actual.equals(manifest.sha256())) {
            throw new BackupFailed("verification failed: " + location(key) + " has " + size + " bytes with sha256 "
                    + actual + ", but the backup wrote " + manifest.size() + " bytes with sha256 " + manifest.sha256());
        }
    }

    private String listArchive(PgServer server, String key) throws BackupFailed, InterruptedException {
        Process list = start(server.offlineTool("pg_restore", List.of("--list")));
        ProcessOutput errors = new ProcessOutput(list.getErrorStream(), "pg_restore");
        long[] entries = {0};
        Thread counter = new Thread(() -> {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(list.getInputStream()))) {
                lines.lines()
                        .filter(line -> !line.isBlank() && !line.startsWith(";"))
                        .forEach(line -> entries[0]++);
            } catch (IOException e) {
                // the exit code reports it
            }
        });
        counter.start();
        int exit;
        try {
            feed(key, list);
            exit = waitFor(list);
            counter.join(10_000);
        } finally {
            list.destroyForcibly();
        }
        if (exit != 0) {
            throw new BackupFailed(
                    "verification failed: pg_restore --list could not read " + location(key) + ": " + errors.text());
        }
        return "checksum matches; pg_restore --list reads " + entries[0] + " entries";
    }

    private String restoreIntoScratch(PgServer server, String key, Manifest manifest)
            throws BackupFailed, InterruptedException {
        // Named after the backup: a verification cut short by a crash leaves a database the retry drops first.
        String scratch = "mesh_verify_" + shortHash(key);
        execute(server, "drop database if exists " + identifier(scratch) + " with (force)");
        execute(server, "create database " + identifier(scratch));
        try {
            restore(server, scratch, key, false);
            Map<String, Long> restored;
            try (Connection connection = server.connect(scratch)) {
                restored = PgServer.rowCounts(connection);
            } catch (SQLException e) {
                throw new BackupFailed("cannot read the scratch database " + scratch + ": " + e.getMessage(), e);
            }
            if (manifest.rowCounts() == null) {
                long rows =
                        restored.values().stream().mapToLong(Long::longValue).sum();
                return "checksum matches; restored into a scratch database: " + restored.size() + " tables, " + rows
                        + " rows (no row counts were taken at dump time to compare with)";
            }
            List<String> differences = differences(manifest.rowCounts(), restored);
            if (!differences.isEmpty()) {
                throw new BackupFailed("verification failed: the restored copy differs from the source at dump time: "
                        + String.join("; ", differences));
            }
            long rows = restored.values().stream().mapToLong(Long::longValue).sum();
            return "checksum matches; restored into a scratch database: " + restored.size() + " tables, " + rows
                    + " rows, as in the source";
        } finally {
            try {
                execute(server, "drop database if exists " + identifier(scratch) + " with (force)");
            } catch (BackupFailed e) {
                LOG.warnf("Could not drop the scratch database %s: %s", scratch, e.getMessage());
            }
        }
    }

    static List<String> differences(Map<String, Long> expected, Map<String, Long> actual) {
        List<String> differences = new ArrayList<>();
        Map<String, Long> all = new TreeMap<>(expected);
        actual.forEach(all::putIfAbsent);
        for (String table : all.keySet()) {
            Long want = expected.get(table);
            Long got = actual.get(table);
            if (want == null) {
                differences.add(table + " was not in the source");
            } else if (got == null) {
                differences.add(table + " is missing");
            } else if (!want.equals(got)) {
                differences.add(table + " has " + got + " rows, the source had " + want);
            }
        }
        return differences;
    }

    // ------------------------------------------------------------------------------------------------ restore

    /** Restores a backup into a configured database, refusing to overwrite one that holds tables unless told to. */
    public String restoreInto(String backupKey, String targetName, boolean overwrite, String commandId)
            throws BackupFailed, InterruptedException {
        PgServer target = server(targetName);
        if (backupKey.startsWith("rds-pitr:")) {
            return restoreRdsToPointInTime(target, backupKey.substring("rds-pitr:".length()));
        }
        Manifest manifest = manifest(backupKey)
                .orElseThrow(() -> new BackupFailed("no backup " + backupKey + " in s3://" + bucket()
                        + " (the key of a backup, as its finished event reports it)"));
        String marker = "mesh-restore " + commandId + " " + manifest.sha256();
        if (marker.equals(databaseComment(target))) {
            // Delivered again after it succeeded: the database is already this backup.
            return "restored " + location(backupKey) + " into " + targetName + " (already done by this command)";
        }
        checksum(backupKey, manifest);
        Map<String, Long> before;
        try (Connection connection = target.connect()) {
            before = PgServer.rowCounts(connection);
        } catch (SQLException e) {
            throw new BackupFailed("cannot reach " + targetName + ": " + e.getMessage(), e);
        }
        if (!before.isEmpty() && !overwrite) {
            throw new BackupFailed(targetName + " is not empty (" + before.size() + " tables, e.g. "
                    + before.keySet().iterator().next() + "); restore with overwrite to replace them");
        }
        restore(target, target.config().database(), backupKey, overwrite);
        Map<String, Long> after;
        try (Connection connection = target.connect()) {
            after = PgServer.rowCounts(connection);
        } catch (SQLException e) {
            throw new BackupFailed("cannot read " + targetName + " after the restore: " + e.getMessage(), e);
        }
        if (manifest.rowCounts() == null) {
            return "restored " + location(backupKey) + " into " + targetName + ": " + after.size() + " tables; its"
                    + " checksum is verified, but it was taken without row counts to compare with";
        }
        List<String> differences = differences(manifest.rowCounts(), after);
        if (!differences.isEmpty()) {
            throw new BackupFailed("restored " + backupKey + " into " + targetName
                    + ", but it differs from the backup: " + String.join("; ", differences));
        }
        mark(target, marker);
        return "restored " + location(backupKey) + " into " + targetName + " and verified it: " + after.size()
                + " tables, "
                + after.values().stream().mapToLong(Long::longValue).sum() + " rows";
    }

    private static String databaseComment(PgServer target) throws BackupFailed {
        try (Connection connection = target.connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select shobj_description(oid, 'pg_database') from pg_database"
                        + " where datname = current_database()")) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new BackupFailed("cannot reach " + target.name() + ": " + e.getMessage(), e);
        }
    }

    /** Best effort: without the right to comment, a repeated restore is refused as not empty instead. */
    private static void mark(PgServer target, String marker) {
        try (Connection connection = target.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("comment on database "
                    + identifier(target.config().database()) + " is '" + marker.replace("'", "''") + "'");
        } catch (SQLException e) {
            LOG.warnf("Could not mark %s as restored: %s", target.name(), e.getMessage());
        }
    }

    private String restoreRdsToPointInTime(PgServer target, String time) throws BackupFailed {
        String instance = target.config()
                .rdsInstance()
                .orElseThrow(
                        () -> new BackupFailed(target.name() + " is not an RDS database (no rds-instance configured);"
                                + " a point-in-time restore needs one"));
        Instant at;
        try {
            at = Instant.parse(time);
        } catch (java.time.format.DateTimeParseException e) {
            throw new BackupFailed("'" + time + "' is not an ISO-8601 instant such as 2026-11-26T08:00:00Z");
        }
        String restored = (instance + "-pitr-" + STAMP.format(at)).toLowerCase().replaceAll("[^a-z0-9-]", "-");
        aws.rds()
                .restoreDBInstanceToPointInTime(request -> request.sourceDBInstanceIdentifier(instance)
                        .targetDBInstanceIdentifier(restored)
                        .restoreTime(at));
        return "RDS is restoring " + instance + " as of " + at + " into the new instance " + restored;
    }

    /** pg_restore fed straight from S3. */
    private void restore(PgServer server, String database, String key, boolean clean)
            throws BackupFailed, InterruptedException {
        // One transaction: a restore that fails halfway leaves the database as it was.
        List<String> arguments =
                new ArrayList<>(List.of("--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"));
        if (clean) {
            arguments.add("--clean");
            arguments.add("--if-exists");
        }
        Process restore =
                start(server.tool("pg_restore", database, arguments).redirectOutput(ProcessBuilder.Redirect.DISCARD));
        try {
            ProcessOutput errors = new ProcessOutput(restore.getErrorStream(), "pg_restore");
            feed(key, restore);
            int exit = waitFor(restore);
            if (exit != 0) {
                throw new BackupFailed(
                        "pg_restore of " + location(key) + " into " + database + " failed: " + errors.text());
            }
        } finally {
            restore.destroyForcibly();
        }
    }

    /** Streams the object into the tool's stdin, which is closed whatever happens, so the tool never waits on it. */
    private void feed(String key, Process process) throws BackupFailed {
        try (OutputStream stdin = process.getOutputStream();
                ResponseInputStream<GetObjectResponse> object = get(key)) {
            object.transferTo(stdin);
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            throw new BackupFailed("reading " + location(key) + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            // A tool that stops reading (a corrupt archive) closes the pipe; its exit code tells the story.
            LOG.debugf(
                    "Feeding %s to %s stopped: %s",
                    key, process.info().command().orElse("?"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------- retention

    /** Deletes backups older than the retention, always keeping the newest {@code keep-last} of each database. */
    public List<String> sweep(Instant now) {
        List<String> deleted = new ArrayList<>();
        for (String name : config.databases().keySet()) {
            deleted.addAll(sweep(name, now));
        }
        return deleted;
    }

    /** The sweep of one database's backups. */
    public List<String> sweep(String name, Instant now) {
        Instant cutoff = now.minus(config.retentionDays(), ChronoUnit.DAYS);
        List<String> deleted = new ArrayList<>();
        List<S3Object> backups = new ArrayList<>();
        aws.s3()
                .listObjectsV2Paginator(
                        request -> request.bucket(bucket()).prefix(config.s3().prefix() + name + "/"))
                .contents()
                .forEach(object -> {
                    if (object.key().endsWith(".dump")) {
                        backups.add(object);
                    }
                });
        backups.sort(Comparator.comparing(S3Object::lastModified).reversed());
        for (int i = config.keepLast(); i < backups.size(); i++) {
            S3Object backup = backups.get(i);
            if (backup.lastModified().isBefore(cutoff)) {
                for (S3Client client : List.of(aws.s3(), aws.replicaS3())) {
                    String bucket = client == aws.s3() ? bucket() : config.s3().replicaBucket();
                    client.deleteObject(request -> request.bucket(bucket).key(backup.key()));
                    client.deleteObject(request -> request.bucket(bucket).key(Manifest.key(backup.key())));
                }
                deleted.add(backup.key());
                LOG.infof(
                        "Retention: deleted %s (from %s, older than %d days)",
                        backup.key(), backup.lastModified(), config.retentionDays());
            }
        }
        return deleted;
    }

    /**
     * Versioning on, and a lifecycle rule: deleted (noncurrent) versions expire after the retention, incomplete
     * uploads after a day. Current backups are only ever deleted by {@link #sweep}, which keeps the newest ones.
     */
    public synchronized void ensureBuckets() {
        if (bucketsReady) {
            return;
        }
        ensureBucket(aws.s3(), bucket(), config.s3().region());
        ensureBucket(aws.replicaS3(), config.s3().replicaBucket(), config.s3().replicaRegion());
        bucketsReady = true;
    }

    private void ensureBucket(S3Client s3, String bucket, String region) {
        try {
            s3.headBucket(request -> request.bucket(bucket));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            LOG.infof("Creating bucket %s in %s", bucket, region);
            s3.createBucket(request -> {
                request.bucket(bucket);
                if (!"us-east-1".equals(region)) {
                    request.createBucketConfiguration(configuration ->
                            configuration.locationConstraint(BucketLocationConstraint.fromValue(region)));
                }
            });
        }
        s3.putBucketVersioning(request -> request.bucket(bucket)
                .versioningConfiguration(versioning -> versioning.status(BucketVersioningStatus.ENABLED)));
        s3.putBucketLifecycleConfiguration(request -> request.bucket(bucket)
                .lifecycleConfiguration(BucketLifecycleConfiguration.builder()
                        .rules(LifecycleRule.builder()
                                .id("mesh-backup-retention")
                                .filter(filter -> filter.prefix(config.s3().prefix()))
                                .status(ExpirationStatus.ENABLED)
                                .noncurrentVersionExpiration(
                                        expiration -> expiration.noncurrentDays(config.retentionDays()))
                                .abortIncompleteMultipartUpload(abort -> abort.daysAfterInitiation(1))
                                .build())
                        .build()));
    }

    // ---------------------------------------------------------------------------------------------- helpers

    public Optional<Manifest> manifest(String key) throws BackupFailed {
        try (ResponseInputStream<GetObjectResponse> object =
                aws.s3().getObject(request -> request.bucket(bucket()).key(Manifest.key(key)))) {
            return Optional.of(JSON.readValue(object, Manifest.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        } catch (IOException e) {
            throw new BackupFailed("the manifest of " + key + " is unreadable: " + e.getMessage(), e);
        }
    }

    private void putManifest(String key, Manifest manifest) throws BackupFailed {
        try {
            aws.s3()
                    .putObject(
                            request -> request.bucket(bucket())
                                    .key(Manifest.key(key))
                                    .contentType("application/json"),
                            RequestBody.fromBytes(JSON.writeValueAsBytes(manifest)));
        } catch (IOException e) {
            throw new BackupFailed("cannot write the manifest of " + key + ": " + e.getMessage(), e);
        }
    }

    private ResponseInputStream<GetObjectResponse> get(String key) throws BackupFailed {
        try {
            return aws.s3().getObject(request -> request.bucket(bucket()).key(key));
        } catch (NoSuchKeyException e) {
            throw new BackupFailed("verification failed: " + location(key) + " does not exist");
        }
    }

    public String location(String key) {
        return "s3://" + bucket() + "/" + key;
    }

    private void execute(PgServer server, String sql) throws BackupFailed {
        try (Connection connection = server.connect();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new BackupFailed("'" + sql + "' on " + server.name() + " failed: " + e.getMessage(), e);
        }
    }

    private static Process start(ProcessBuilder builder) throws BackupFailed {
        try {
            return builder.start();
        } catch (IOException e) {
            throw new BackupFailed("cannot run " + builder.command().get(0) + " (" + e.getMessage()
                    + "); install the PostgreSQL client tools or set mesh.backup.pg-bin");
        }
    }

    private static int waitFor(Process process) throws InterruptedException {
        return process.waitFor();
    }
}
