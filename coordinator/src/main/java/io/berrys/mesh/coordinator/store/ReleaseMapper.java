package io.berrys.mesh.coordinator.store;

import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.coordinator.release.StageRun;
import io.berrys.mesh.coordinator.release.StageStatus;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Between the pure {@link Release} and its rows. The rows are records so that a transaction can tell, by equality,
 * whether a decision changed anything it loaded.
 */
final class ReleaseMapper {

    private ReleaseMapper() {}

    static final String RELEASE_COLUMNS = "id, environment, service, version, image, databases, migrations,"
            + " requires_downtime, requested_by, state, stage_index, traffic_moved, approved, reason, rollbacks,"
            + " announced_opening, created_at, updated_at, stage_deadline, lock_version";

    static final String STAGE_COLUMNS = "release_id, position, task, status, attempt, triggered_event_id,"
            + " triggered_at, started_at, last_activity_at, finished_at, message";

    /** One row of {@code releases}, without its lock version. */
    record ReleaseRow(
            String id,
            String environment,
            String service,
            String version,
            String image,
            String databases,
            String migrations,
            boolean requiresDowntime,
            String requestedBy,
            String state,
            int stageIndex,
            boolean trafficMoved,
            boolean approved,
            String reason,
            int rollbacks,
            Instant announcedOpening,
            Instant createdAt,
            Instant updatedAt,
            Instant stageDeadline) {

        static ReleaseRow of(Row row) {
            return new ReleaseRow(
                    row.getString("id"),
                    row.getString("environment"),
                    row.getString("service"),
                    row.getString("version"),
                    row.getString("image"),
                    row.getString("databases"),
                    row.getString("migrations"),
                    row.getBoolean("requires_downtime"),
                    row.getString("requested_by"),
                    row.getString("state"),
                    row.getInteger("stage_index"),
                    row.getBoolean("traffic_moved"),
                    row.getBoolean("approved"),
                    row.getString("reason"),
                    row.getInteger("rollbacks"),
                    instant(row, "announced_opening"),
                    instant(row, "created_at"),
                    instant(row, "updated_at"),
                    instant(row, "stage_deadline"));
        }

        /** The 19 columns in {@link #RELEASE_COLUMNS} order, lock version excluded. */
        Tuple tuple() {
            return Tuple.tuple()
                    .addValue(id)
                    .addValue(environment)
                    .addValue(service)
                    .addValue(version)
                    .addValue(image)
                    .addValue(databases)
                    .addValue(migrations)
                    .addValue(requiresDowntime)
                    .addValue(requestedBy)
                    .addValue(state)
                    .addValue(stageIndex)
                    .addValue(trafficMoved)
                    .addValue(approved)
                    .addValue(reason)
                    .addValue(rollbacks)
                    .addValue(timestamp(announcedOpening))
                    .addValue(timestamp(createdAt))
                    .addValue(timestamp(updatedAt))
                    .addValue(timestamp(stageDeadline));
        }
    }

    /** One row of {@code stages}. */
    record StageRow(
            String releaseId,
            int position,
            String task,
            String status,
            int attempt,
            String triggeredEventId,
            Instant triggeredAt,
            Instant startedAt,
            Instant lastActivityAt,
            Instant finishedAt,
            String message) {

        static StageRow of(Row row) {
            return new StageRow(
                    row.getString("release_id"),
                    row.getInteger("position"),
                    row.getString("task"),
                    row.getString("status"),
                    row.getInteger("attempt"),
                    row.getString("triggered_event_id"),
                    instant(row, "triggered_at"),
                    instant(row, "started_at"),
                    instant(row, "last_activity_at"),
                    instant(row, "finished_at"),
                    row.getString("message"));
        }

        /** The columns in {@link #STAGE_COLUMNS} order. */
        Tuple tuple() {
            return Tuple.tuple()
                    .addValue(releaseId)
                    .addValue(position)
                    .addValue(task)
                    .addValue(status)
                    .addValue(attempt)
                    .addValue(triggeredEventId)
                    .addValue(timestamp(triggeredAt))
                    .addValue(timestamp(startedAt))
                    .addValue(timestamp(lastActivityAt))
                    .addValue(timestamp(finishedAt))
                    .addValue(message);
        }
    }

    static Release toDomain(ReleaseRow row, List<StageRow> stageRows) {
        List<String> databases = row.databases() == null || row.databases().isBlank()
                ? List.of()
                : Arrays.asList(row.databases().split(","));
        ReleasePublished request = new ReleasePublished(
                row.environment(),
                row.service(),
                row.version(),
                row.image(),
                databases,
                row.migrations(),
                row.requiresDowntime(),
                row.requestedBy());
        List<StageRun> stages = new ArrayList<>();
        for (StageRow stage : stageRows) {
            stages.add(StageRun.restore(
                    stage.position(),
                    Task.fromId(stage.task()).orElseThrow(),
                    StageStatus.valueOf(stage.status()),
                    stage.attempt(),
                    stage.triggeredEventId(),
                    stage.triggeredAt(),
                    stage.startedAt(),
                    stage.lastActivityAt(),
                    stage.finishedAt(),
                    stage.message()));
        }
        return Release.restore(
                row.id(),
                request,
                stages,
                ReleaseState.valueOf(row.state()),
                row.stageIndex(),
                row.trafficMoved(),
                row.approved(),
                row.reason(),
                row.rollbacks(),
                row.announcedOpening(),
                row.createdAt(),
                row.updatedAt());
    }

    /** The release's row, with the moment its open stage falls overdue under {@code pipeline}. */
    static ReleaseRow row(Release release, Pipeline pipeline) {
        ReleasePublished request = release.request();
        return new ReleaseRow(
                release.id(),
                request.environment(),
                request.service(),
                request.version(),
                request.image(),
                String.join(",", request.databases()),
                request.migrations(),
                request.requiresDowntime(),
                request.requestedBy(),
                release.state().name(),
                release.stageIndex(),
                release.trafficMoved(),
                release.approved(),
                release.reason(),
                release.rollbacks(),
                release.announcedOpening(),
                release.createdAt(),
                release.updatedAt(),
                release.stageDeadline(pipeline).orElse(null));
    }

    static List<StageRow> stageRows(Release release) {
        List<StageRow> rows = new ArrayList<>(release.stages().size());
        for (StageRun stage : release.stages()) {
            rows.add(new StageRow(
                    release.id(),
                    stage.position(),
                    stage.task().id(),
                    stage.status().name(),
                    stage.attempt(),
                    stage.triggeredEventId(),
                    stage.triggeredAt(),
                    stage.startedAt(),
                    stage.lastActivityAt(),
                    stage.finishedAt(),
                    stage.message()));
        }
        return rows;
    }

    static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    /** PostgreSQL's timestamptz travels as an OffsetDateTime in this client; it keeps microseconds, not nanos. */
    static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
