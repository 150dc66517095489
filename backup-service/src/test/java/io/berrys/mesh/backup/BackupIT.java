package io.berrys.mesh.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.backup.store.AwsClients;
import io.berrys.mesh.backup.store.BackupFailed;
import io.berrys.mesh.backup.store.Manifest;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.BackupTriggered;
import io.berrys.mesh.events.catalog.RestoreTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/** The backup-service against real PostgreSQL, the moto server (S3, RDS) and Redis streams. */
@QuarkusTest
@QuarkusTestResource(BackupServers.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.backup."))
class BackupIT {

    private static final String BACKUPS = "it.backup.mesh.backup";
    private static final String RESTORES = "it.backup.mesh.restore";
    private static final String TRANSITIONS = "it.backup.mesh.transitions";

    @Inject
    RedisDataSource redis;

    @Inject
    BackupEngine engine;

    @Inject
    AwsClients aws;

    private CloudEvent send(String stream, Task task, Object payload) {
        CloudEvent command = Events.of(task.type(Phase.TRIGGERED), Services.COORDINATOR, payload)
                .releaseId("rel-backup-it")
                .build();
        redis.stream(String.class).xadd(stream, EventCodec.toFields(command));
        return command;
    }

    private TaskFinished finished(CloudEvent command) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> finishedNow(command) != null);
        return finishedNow(command);
    }

    private TaskFinished finishedNow(CloudEvent command) {
        return redis.stream(String.class).xrange(TRANSITIONS, StreamRange.of("-", "+")).stream()
                .map(StreamMessage::payload)
                .map(fields -> EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES))
                .filter(event -> command.getId().equals(Events.triggeredId(event)))
                .filter(event -> event.getType().endsWith(".finished"))
                .map(event -> Events.payload(event, TaskFinished.class))
                .findFirst()
                .orElse(null);
    }

    private static long count(String database, String sql) throws Exception {
        try (Connection connection = BackupServers.postgres.connect(database);
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void aBackupStreamsToS3IsCopiedToTheSecondRegionAndIsProvedByARestore() throws Exception {
        TaskFinished finished =
                finished(send(BACKUPS, Task.BACKUP, new BackupTriggered("staging", "planner", "src", "full")));

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message())
                .contains("restored into a scratch database: 2 tables, 3500 rows, as in the source");
        assertThat(finished.details())
                .containsEntry("verified", true)
                .containsEntry("verifyMode", "full")
                .containsEntry("database", "src")
                .containsKeys("location", "size", "sha256", "dumpMs", "verifyMs", "replica", "serverVersion");
        String key = (String) finished.details().get("key");
        HeadObjectResponse head = aws.s3()
                .headObject(request -> request.bucket(BackupServers.BUCKET).key(key));
        assertThat(head.metadata())
                .containsEntry("database", "src")
                .containsEntry("release-id", "rel-backup-it")
                .containsEntry("sha256", (String) finished.details().get("sha256"))
                .containsEntry("size", String.valueOf(finished.details().get("size")))
                .containsKeys("created-at", "server-version");
        assertThat(aws.replicaS3()
                        .headObject(request -> request.bucket(BackupServers.BUCKET + "-replica")
                                .key(key))
                        .contentLength())
                .isEqualTo(head.contentLength());
        assertThat(count(
                        BackupServers.postgres.database(),
                        "select count(*) from pg_database where datname like '" + BackupServers.SOURCE + "_verify_%'"))
                .as("the scratch database is dropped")
                .isZero();
        assertThat(aws.s3()
                        .getBucketVersioning(request -> request.bucket(BackupServers.BUCKET))
                        .status())
                .isEqualTo(BucketVersioningStatus.ENABLED);
        assertThat(aws.s3()
                        .getBucketLifecycleConfiguration(request -> request.bucket(BackupServers.BUCKET))
                        .rules())
                .anySatisfy(rule -> {
                    assertThat(rule.noncurrentVersionExpiration().noncurrentDays())
                            .isEqualTo(30);
                    assertThat(rule.abortIncompleteMultipartUpload().daysAfterInitiation())
                            .isEqualTo(1);
                });
    }

    @Test
    void aQuickVerificationChecksTheChecksumAndListsTheArchive() {
        TaskFinished finished =
                finished(send(BACKUPS, Task.BACKUP, new BackupTriggered("staging", "planner", "src", "quick")));

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).containsPattern("checksum matches; pg_restore --list reads \\d+ entries");
    }

    @Test
    void aCorruptedBackupFailsVerification() throws Exception {
        BackupEngine.Backup backup =
                engine.backup("src", "rel-corrupt", "corrupt-" + BackupServers.RUN, true, message -> {});
        byte[] garbage = "not a pg_dump archive".getBytes();
        aws.s3()
                .putObject(
                        request -> request.bucket(BackupServers.BUCKET).key(backup.key()),
                        RequestBody.fromBytes(garbage));

        assertThatThrownBy(() -> engine.verify(engine.server("src"), backup.key(), backup.manifest(), "full"))
                .isInstanceOf(BackupFailed.class)
                .hasMessageContaining("verification failed")
                .hasMessageContaining("has 21 bytes with sha256")
                .hasMessageContaining(
                        "but the backup wrote " + backup.manifest().size() + " bytes");
    }

    @Test
    void aDumpThatFailsAfterItsUploadStartedAbortsTheUploadAndLeavesNothing() throws Exception {
        try (Connection migration = BackupServers.postgres.connect(BackupServers.SOURCE)) {
            // A migration holding a table: pg_dump cannot lock it and gives up after its lock-wait-timeout.
            migration.setAutoCommit(false);
            migration.createStatement().execute("lock table agents in access exclusive mode");
            CloudEvent command = send(BACKUPS, Task.BACKUP, new BackupTriggered("staging", "planner", "src", "full"));

            TaskFinished finished = finished(command);

            assertThat(finished.result()).isEqualTo(Result.FAIL);
            assertThat(finished.message())
                    .contains("pg_dump of src exited with 1")
                    .contains("LOCK TABLE public.agents")
                    .contains("nothing was kept in S3");
            assertThat(aws.s3()
                            .listObjectsV2(request ->
                                    request.bucket(BackupServers.BUCKET).prefix("backups/src/"))
                            .contents())
                    .noneMatch(object -> object.key().contains(command.getId()));
            assertThat(aws.s3()
                            .listMultipartUploads(request -> request.bucket(BackupServers.BUCKET))
                            .uploads())
                    .noneMatch(upload -> upload.key().contains(command.getId()));
            migration.rollback();
        }
    }

    @Test
    void aDatabaseThatCannotBeReachedFailsTheTaskAndLeavesNothingInS3() {
        TaskFinished finished =
                finished(send(BACKUPS, Task.BACKUP, new BackupTriggered("staging", "planner", "missing", "full")));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("it_backup_no_such_database").contains("does not exist");
        assertThat(aws.s3()
                        .listObjectsV2(
                                request -> request.bucket(BackupServers.BUCKET).prefix("backups/missing/"))
                        .contents())
                .isEmpty();
        assertThat(aws.s3()
                        .listMultipartUploads(request -> request.bucket(BackupServers.BUCKET))
                        .uploads())
                .noneMatch(upload -> upload.key().startsWith("backups/missing/"));
    }

    @Test
    void anUnknownDatabaseFailsWithTheConfiguredNames() {
        TaskFinished finished =
                finished(send(BACKUPS, Task.BACKUP, new BackupTriggered("staging", "planner", "nope", "full")));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message())
                .startsWith("unknown database 'nope'; configured: ")
                .contains("src");
    }

    @Test
    void theRetentionSweepDeletesOnlyExpiredBackupsBeyondTheNewest() throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            keys.add(engine.backup("target", null, "retention-" + i + "-" + BackupServers.RUN, true, message -> {})
                    .key());
            Thread.sleep(1_100);
        }

        assertThat(engine.sweep("target", Instant.now()))
                .as("nothing is old enough yet")
                .isEmpty();
        List<String> deleted = engine.sweep("target", Instant.now().plus(31, ChronoUnit.DAYS));

        // keep-last is 2 in the tests: only the oldest of the three goes, in both regions, with its manifest.
        assertThat(deleted).containsExactly(keys.get(0));
        assertThat(engine.manifest(keys.get(0))).isEmpty();
        assertThat(engine.manifest(keys.get(1))).isPresent();
        assertThat(engine.manifest(keys.get(2))).isPresent();
        assertThat(aws.replicaS3()
                        .listObjectsV2(request -> request.bucket(BackupServers.BUCKET + "-replica")
                                .prefix(keys.get(0)))
                        .contents())
                .isEmpty();
    }

    @Test
    void anRdsDatabaseAlsoGetsASnapshotCopiedToTheSecondRegionAndCanBeRestoredToAPointInTime() {
        TaskFinished finished =
                finished(send(BACKUPS, Task.BACKUP, new BackupTriggered("prod", "planner", "rds", "quick")));

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        String snapshot = (String) finished.details().get("rdsSnapshot");
        assertThat(snapshot).startsWith("mesh-rds-");
        assertThat(aws.rds()
                        .describeDBSnapshots(request -> request.dbSnapshotIdentifier(snapshot))
                        .dbSnapshots())
                .hasSize(1);
        assertThat(aws.replicaRds()
                        .describeDBSnapshots(request -> request.dbSnapshotIdentifier(snapshot))
                        .dbSnapshots())
                .hasSize(1);

        TaskFinished restored = finished(
                send(RESTORES, Task.RESTORE, new RestoreTriggered("rds-pitr:2026-11-26T06:00:00Z", "rds", false)));
        assertThat(restored.result()).as(restored.message()).isEqualTo(Result.PASS);
        assertThat(restored.message()).contains("RDS is restoring " + BackupServers.RDS_INSTANCE);
        String instance = BackupServers.RDS_INSTANCE + "-pitr-20261126t060000z";
        assertThat(aws.rds()
                        .describeDBInstances(request -> request.dbInstanceIdentifier(instance))
                        .dbInstances())
                .hasSize(1);
    }

    @Test
    void aRestoreFillsAnEmptyDatabaseAndRefusesToOverwriteUnlessTold() throws Exception {
        BackupEngine.Backup backup =
                engine.backup("src", "rel-restore", "restore-" + BackupServers.RUN, true, message -> {});
        try {
            BackupServers.execute(BackupServers.TARGET, "create table leftovers (id int)");
            TaskFinished refused =
                    finished(send(RESTORES, Task.RESTORE, new RestoreTriggered(backup.key(), "target", false)));
            assertThat(refused.result()).isEqualTo(Result.FAIL);
            assertThat(refused.message())
                    .contains("target is not empty (1 tables")
                    .contains("overwrite");

            TaskFinished overwritten =
                    finished(send(RESTORES, Task.RESTORE, new RestoreTriggered(backup.key(), "target", true)));
            assertThat(overwritten.result()).as(overwritten.message()).isEqualTo(Result.FAIL);
            assertThat(overwritten.message())
                    .contains("differs from the backup", "public.leftovers was not in the source");

            BackupServers.execute(BackupServers.TARGET, "drop table leftovers");
            TaskFinished clean =
                    finished(send(RESTORES, Task.RESTORE, new RestoreTriggered(backup.key(), "target", true)));
            assertThat(clean.result()).as(clean.message()).isEqualTo(Result.PASS);
            assertThat(clean.message()).contains("and verified it: 2 tables, 3500 rows");
            assertThat(count(BackupServers.TARGET, "select count(*) from planning.tasks"))
                    .isEqualTo(2500);
            // The same command delivered again after it succeeded: done already, not "not empty".
            String again = "restore-again-" + BackupServers.RUN;
            assertThat(engine.restoreInto(backup.key(), "target", true, again)).contains("and verified it");
            assertThat(engine.restoreInto(backup.key(), "target", false, again))
                    .endsWith("(already done by this command)");
        } finally {
            BackupServers.execute(BackupServers.TARGET, "drop table if exists leftovers");
        }
    }

    @Test
    void aRestoreOfAnUnknownBackupSaysSo() {
        TaskFinished finished =
                finished(send(RESTORES, Task.RESTORE, new RestoreTriggered("backups/src/none.dump", "target", false)));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("no backup backups/src/none.dump in s3://" + BackupServers.BUCKET);
    }

    @Test
    void aCommandDeliveredAgainFindsItsBackupInsteadOfTakingAnother() throws Exception {
        String run = "again-" + BackupServers.RUN;
        BackupEngine.Backup first = engine.backup("src", "rel-again", run, true, message -> {});
        BackupEngine.Backup second = engine.backup("src", "rel-again", run, true, message -> {});

        assertThat(second.reused()).isTrue();
        assertThat(second.key()).isEqualTo(first.key());
        assertThat(second.manifest()).isEqualTo(first.manifest());
        Manifest manifest = engine.manifest(first.key()).orElseThrow();
        assertThat(manifest.rowCounts()).containsEntry("public.agents", 1000L).containsEntry("planning.tasks", 2500L);
    }
}
