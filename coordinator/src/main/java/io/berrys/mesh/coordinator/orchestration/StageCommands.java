package io.berrys.mesh.coordinator.orchestration;

import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.StageRun;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.BackupTriggered;
import io.berrys.mesh.events.catalog.DecommissionTriggered;
import io.berrys.mesh.events.catalog.MaintenanceAnnounced;
import io.berrys.mesh.events.catalog.MigrationTriggered;
import io.berrys.mesh.events.catalog.ProvisionTriggered;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.VerificationTriggered;
import io.cloudevents.CloudEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The events the coordinator sends, built from a release: one place that knows each task's payload. */
final class StageCommands {

    private StageCommands() {}

    static CloudEvent trigger(Release release, StageRun stage, String backupVerify) {
        ReleasePublished request = release.request();
        String database =
                request.databases().isEmpty() ? null : request.databases().get(0);
        Object payload = switch (stage.task()) {
            // An apply of the environment's spec: nothing to do when the infrastructure already matches it.
            case PROVISION -> new ProvisionTriggered(request.environment(), "apply", null);
            case BACKUP -> new BackupTriggered(request.environment(), request.service(), database, backupVerify);
            case MIGRATION ->
                new MigrationTriggered(request.environment(), request.service(), database, request.migrations());
            case ROLLOUT ->
                new RolloutTriggered(
                        request.environment(), request.service(), request.version(), request.image(), List.of());
            case VERIFICATION ->
                new VerificationTriggered(request.environment(), request.service(), List.of(), null, null);
            case DECOMMISSION -> new DecommissionTriggered(request.environment(), request.service(), null);
            default -> throw new IllegalStateException("a pipeline cannot hold " + stage.task());
        };
        return Events.of(stage.task().type(Phase.TRIGGERED), Services.COORDINATOR, payload)
                .id(stage.triggeredEventId())
                .releaseId(release.id())
                .subject(subject(release))
                .attempt(stage.attempt())
                .build();
    }

    static CloudEvent rollback(Release release, String eventId, String reason) {
        ReleasePublished request = release.request();
        return Events.of(
                        Task.ROLLBACK.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new RollbackTriggered(request.environment(), request.service(), reason, Services.COORDINATOR))
                .id(eventId)
                .releaseId(release.id())
                .subject(subject(release))
                .build();
    }

    static CloudEvent announcement(Release release, Instant opening, Instant closing) {
        ReleasePublished request = release.request();
        return Events.of(
                        EventType.MAINTENANCE_ANNOUNCED,
                        Services.COORDINATOR,
                        new MaintenanceAnnounced(
                                request.environment(),
                                request.service(),
                                request.version(),
                                opening.toString(),
                                closing.toString()))
                .id(release.id() + ".announcement." + opening.getEpochSecond())
                .releaseId(release.id())
                .subject(subject(release))
                .build();
    }

    /** The coordinator finishes a stage whose owner went silent, in the owner's place. */
    static CloudEvent timeout(Release release, StageRun stage, String reason) {
        return Events.of(
                        stage.task().type(Phase.FINISHED),
                        Services.COORDINATOR,
                        new TaskFinished(stage.task().id(), Result.FAIL, reason, Map.of("timeout", true)))
                .id(stage.triggeredEventId() + ".timeout")
                .releaseId(release.id())
                .triggeredId(stage.triggeredEventId())
                .causationId(stage.triggeredEventId())
                .subject(subject(release))
                .build();
    }

    /** The coordinator fails a rollback nobody finished, in the rollout-service's place. */
    static CloudEvent rollbackTimeout(Release release, String reason) {
        return Events.of(
                        Task.ROLLBACK.type(Phase.FINISHED),
                        Services.COORDINATOR,
                        new TaskFinished(Task.ROLLBACK.id(), Result.FAIL, reason, Map.of("timeout", true)))
                .id(release.rollbackEventId() + ".timeout")
                .releaseId(release.id())
                .triggeredId(release.rollbackEventId())
                .causationId(release.rollbackEventId())
                .subject(subject(release))
                .build();
    }

    static String subject(Release release) {
        return release.request().environment() + "/" + release.request().service();
    }
}
