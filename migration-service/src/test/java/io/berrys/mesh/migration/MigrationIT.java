package io.berrys.mesh.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.MigrationTriggered;
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
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The migration-service against real PostgreSQL, Redis streams and the moto server (S3 migration sets). */
@QuarkusTest
@QuarkusTestResource(MigrationServers.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.migration."))
class MigrationIT {

    private static final String MIGRATIONS = "it.migration.mesh.migration";
    private static final String TRANSITIONS = "it.migration.mesh.transitions";

    @Inject
    RedisDataSource redis;

    /** What the backup-service reports for a release: the proof the migration-service looks for. */
    private void verifiedBackup(String releaseId, String database) {
        CloudEvent backup = Events.of(
                        Task.BACKUP.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new io.berrys.mesh.events.catalog.BackupTriggered("staging", "planner", database, "full"))
                .releaseId(releaseId)
                .build();
        CloudEvent finished = Events.replyTo(
                        backup,
                        Phase.FINISHED,
                        Services.BACKUP,
                        new TaskFinished(
                                "backup",
                                Result.PASS,
                                "backed up and verified",
                                Map.of("database", database, "verified", true, "location", "s3://backups/" + database)))
                .build();
        redis.stream(String.class).xadd(TRANSITIONS, EventCodec.toFields(finished));
    }

    private CloudEvent migrate(String releaseId, String environment, String database, String set) {
        CloudEvent command = Events.of(
                        Task.MIGRATION.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new MigrationTriggered(environment, "planner", database, set))
                .releaseId(releaseId)
                .build();
        redis.stream(String.class).xadd(MIGRATIONS, EventCodec.toFields(command));
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

    private static String query(String logical, String sql) throws Exception {
        try (Connection connection = MigrationServers.postgres.connect(MigrationServers.databaseName(logical));
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    @Test
    void aReleaseWithAVerifiedBackupIsMigratedAndValidated() throws Exception {
        verifiedBackup("rel-happy", "happy");

        TaskFinished finished = finished(migrate("rel-happy", "production", "happy", "classpath:db/it/happy"));

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).isEqualTo("applied 1, 2, 3 to happy; schema version 3");
        assertThat(finished.details())
                .containsEntry("applied", List.of("1", "2", "3"))
                .containsEntry("schemaVersion", "3")
                .containsEntry("backup", "s3://backups/happy")
                .containsKey("durationsMs");
        assertThat(query(
                        "happy",
                        "select character_maximum_length from information_schema.columns"
                                + " where table_name = 'agents' and column_name = 'name'"))
                .isEqualTo("200");
    }

    @Test
    void withoutAVerifiedBackupOfThisReleaseNothingIsMigrated() throws Exception {
        verifiedBackup("rel-other", "nobackup");

        TaskFinished finished = finished(migrate("rel-nobackup", "production", "nobackup", "classpath:db/it/happy"));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message())
                .startsWith("refusing to migrate nobackup: release rel-nobackup has no verified backup of it");
        assertThat(query("nobackup", "select count(*) from information_schema.tables where table_name = 'agents'"))
                .isEqualTo("0");
    }

    @Test
    void aFailingScriptLeavesTheSchemaAtTheLastGoodVersionAndNamesTheStatement() throws Exception {
        verifiedBackup("rel-failing", "failing");

        TaskFinished finished = finished(migrate("rel-failing", "production", "failing", "classpath:db/it/failing"));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message())
                .contains("migration V2__seed_runs.sql failed at line 3")
                .contains("INSERT INTO runs VALUES (1, 'duplicate')")
                .contains("duplicate key value")
                .endsWith("the schema stays at version 1");
        // V2 ran in its own transaction: its first insert and its new column are gone with it.
        assertThat(query("failing", "select count(*) from runs")).isEqualTo("0");
        assertThat(query(
                        "failing",
                        "select count(*) from information_schema.columns where table_name = 'runs'"
                                + " and column_name = 'started'"))
                .isEqualTo("0");
    }

    @Test
    void twoTriggersAtOnceApplyEachScriptOnce() throws Exception {
        verifiedBackup("rel-concurrent", "concurrent");

        CloudEvent first = migrate("rel-concurrent", "production", "concurrent", "classpath:db/it/happy");
        CloudEvent second = migrate("rel-concurrent", "production", "concurrent", "classpath:db/it/happy");
        TaskFinished one = finished(first);
        TaskFinished other = finished(second);

        assertThat(List.of(one.result(), other.result())).containsOnly(Result.PASS);
        // Flyway takes its lock per script, so the two runs may share the scripts out between them; what matters is
        // that together they applied each script once.
        List<Object> applied = new ArrayList<>((List<?>) one.details().get("applied"));
        applied.addAll((List<?>) other.details().get("applied"));
        assertThat(applied).containsExactlyInAnyOrder("1", "2", "3");
        assertThat(query("concurrent", "select count(*) from flyway_schema_history where success"))
                .isEqualTo("3");
    }

    @Test
    void theLintStopsADestructiveChangeAndHonoursAReviewedOverride() throws Exception {
        Path set = Files.createTempDirectory("mesh-lint-set");
        Files.writeString(
                set.resolve("V1__tasks.sql"), "CREATE TABLE tasks (id bigint PRIMARY KEY, title text, legacy text);\n");
        verifiedBackup("rel-lint-1", "lint");
        assertThat(finished(migrate("rel-lint-1", "production", "lint", set.toString()))
                        .result())
                .isEqualTo(Result.PASS);

        Files.writeString(set.resolve("V2__drop_legacy.sql"), "\n\nALTER TABLE tasks DROP COLUMN legacy;\n");
        verifiedBackup("rel-lint-2", "lint");
        TaskFinished refused = finished(migrate("rel-lint-2", "production", "lint", set.toString()));

        assertThat(refused.result()).isEqualTo(Result.FAIL);
        assertThat(refused.message()).contains("V2__drop_legacy.sql:3 drop-column: drops column tasks.legacy");
        assertThat(refused.details().get("findings")).asList().hasSize(1);
        assertThat(query("lint", "select count(*) from information_schema.columns where column_name = 'legacy'"))
                .isEqualTo("1");

        // A reviewed override lets it through, and the finished event still lists it.
        verifiedBackup("rel-lint-3", "lint");
        Files.writeString(
                set.resolve("V2__drop_legacy.sql"),
                "-- mesh-lint: allow drop-column because nothing reads tasks.legacy since 1.4 (reviewed by alice)\n"
                        + "ALTER TABLE tasks DROP COLUMN legacy;\n");
        TaskFinished reviewed = finished(migrate("rel-lint-3", "production", "lint", set.toString()));
        assertThat(reviewed.result()).as(reviewed.message()).isEqualTo(Result.PASS);
        assertThat(reviewed.details().get("findings").toString())
                .contains("(allowed: nothing reads tasks.legacy since 1.4 (reviewed by alice))");
        assertThat(query("lint", "select count(*) from information_schema.columns where column_name = 'legacy'"))
                .isEqualTo("0");
    }

    @Test
    void aChangedAppliedScriptIsDriftAndFailsNamingIt() throws Exception {
        Path set = Files.createTempDirectory("mesh-drift-set");
        Files.writeString(set.resolve("V1__runs.sql"), "CREATE TABLE runs (id bigint PRIMARY KEY);\n");
        verifiedBackup("rel-drift-1", "drift");
        assertThat(finished(migrate("rel-drift-1", "production", "drift", set.toString()))
                        .result())
                .isEqualTo(Result.PASS);

        Files.writeString(set.resolve("V1__runs.sql"), "CREATE TABLE runs (id bigint PRIMARY KEY, state text);\n");
        TaskFinished drifted = finished(migrate("rel-drift-2", "production", "drift", set.toString()));

        assertThat(drifted.result()).isEqualTo(Result.FAIL);
        assertThat(drifted.message())
                .startsWith("validation failed: ")
                .contains("V1__runs.sql")
                .contains("checksum");
    }

    @Test
    void aMigrationSetInS3IsFetchedAndApplied() throws Exception {
        String bucket = "it-migrations-" + MigrationServers.RUN;
        try (S3Client s3 = S3Client.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create(MigrationServers.endpoint))
                .forcePathStyle(true)
                .build()) {
            s3.createBucket(request -> request.bucket(bucket));
            s3.putObject(
                    request -> request.bucket(bucket).key("releases/2.4.0/V1__events.sql"),
                    RequestBody.fromString("CREATE TABLE events (id bigint PRIMARY KEY, body jsonb);\n"));
            s3.putObject(
                    request -> request.bucket(bucket).key("releases/2.4.0/README.txt"), RequestBody.fromString("x"));
        }
        verifiedBackup("rel-s3", "s3");

        TaskFinished finished = finished(migrate("rel-s3", "production", "s3", "s3://" + bucket + "/releases/2.4.0/"));

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).isEqualTo("applied 1 to s3; schema version 1");
    }

    @Test
    void theSamplePlatformMigrationsUnderDeployApplyWithoutLintFindings() throws Exception {
        Path samples = io.berrys.mesh.events.testing.LocalServers.repoRoot().resolve("deploy/migrations/platform");
        verifiedBackup("rel-platform", "platform");

        TaskFinished finished = finished(migrate("rel-platform", "production", "platform", samples.toString()));

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.details())
                .containsEntry("applied", List.of("1", "2", "3"))
                .containsEntry("findings", List.of());
        assertThat(query(
                        "platform",
                        "select count(*) from information_schema.columns where table_name = 'agents'"
                                + " and column_name = 'capabilities'"))
                .isEqualTo("1");
    }

    @Test
    void anUnknownDatabaseOrSetIsAClearFailure() {
        TaskFinished database = finished(migrate("rel-x", "production", "nope", "classpath:db/it/happy"));
        assertThat(database.message()).startsWith("unknown database 'nope'; configured: ");

        TaskFinished set = finished(migrate("rel-x", "production", "happy", "classpath:db/it/missing"));
        assertThat(set.result()).isEqualTo(Result.FAIL);
        assertThat(set.message()).isEqualTo("the migration set classpath:db/it/missing is not on the classpath");
    }
}
