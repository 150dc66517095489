package io.berrys.mesh.coordinator.store;

import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.coordinator.release.StageRun;
import io.berrys.mesh.coordinator.release.StageStatus;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleasePublished;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Between the pure {@link Release} and its rows. */
public final class ReleaseMapper {

    private ReleaseMapper() {}

    public static Release toDomain(ReleaseEntity entity) {
        List<String> databases = entity.databases == null || entity.databases.isBlank()
                ? List.of()
                : Arrays.asList(entity.databases.split(","));
        ReleasePublished request = new ReleasePublished(
                entity.environment,
                entity.service,
                entity.version,
                entity.image,
                databases,
                entity.migrations,
                entity.requiresDowntime,
                entity.requestedBy);
        List<StageRun> stages = new ArrayList<>();
        for (StageEntity stage : entity.stages) {
            stages.add(StageRun.restore(
                    stage.position,
                    Task.fromId(stage.task).orElseThrow(),
                    StageStatus.valueOf(stage.status),
                    stage.attempt,
                    stage.triggeredEventId,
                    stage.triggeredAt,
                    stage.startedAt,
                    stage.lastActivityAt,
                    stage.finishedAt,
                    stage.message));
        }
        return Release.restore(
                entity.id,
                request,
                stages,
                ReleaseState.valueOf(entity.state),
                entity.stageIndex,
                entity.trafficMoved,
                entity.approved,
                entity.reason,
                entity.rollbacks,
                entity.announcedOpening,
                entity.createdAt,
                entity.updatedAt);
    }

    /**
     * Copies the release into {@code entity} (new or loaded), keeping its lock version, with the moment its open
     * stage falls overdue under {@code pipeline}.
     */
    public static ReleaseEntity write(Release release, Pipeline pipeline, ReleaseEntity entity) {
        entity.stageDeadline = release.stageDeadline(pipeline).orElse(null);
        ReleasePublished request = release.request();
        entity.id = release.id();
        entity.environment = request.environment();
        entity.service = request.service();
        entity.version = request.version();
        entity.image = request.image();
        entity.databases = String.join(",", request.databases());
        entity.migrations = request.migrations();
        entity.requiresDowntime = request.requiresDowntime();
        entity.requestedBy = request.requestedBy();
        entity.state = release.state().name();
        entity.stageIndex = release.stageIndex();
        entity.trafficMoved = release.trafficMoved();
        entity.approved = release.approved();
        entity.reason = release.reason();
        entity.rollbacks = release.rollbacks();
        entity.announcedOpening = release.announcedOpening();
        entity.createdAt = release.createdAt();
        entity.updatedAt = release.updatedAt();
        List<StageRun> stages = release.stages();
        for (StageRun stage : stages) {
            StageEntity row = stage.position() < entity.stages.size() ? entity.stages.get(stage.position()) : null;
            if (row == null) {
                row = new StageEntity();
                row.release = entity;
                row.position = stage.position();
                entity.stages.add(row);
            }
            row.task = stage.task().id();
            row.status = stage.status().name();
            row.attempt = stage.attempt();
            row.triggeredEventId = stage.triggeredEventId();
            row.triggeredAt = stage.triggeredAt();
            row.startedAt = stage.startedAt();
            row.lastActivityAt = stage.lastActivityAt();
            row.finishedAt = stage.finishedAt();
            row.message = stage.message();
        }
        return entity;
    }
}
