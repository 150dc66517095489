package io.berrys.mesh.coordinator.api;

import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.StageRun;
import io.berrys.mesh.coordinator.store.EventLogEntry;
import java.time.Instant;
import java.util.List;

/** A release as the API shows it: its state, why, and the stage timeline. */
public record ReleaseView(
        String id,
        String environment,
        String service,
        String version,
        String image,
        String state,
        String reason,
        String requestedBy,
        Instant createdAt,
        Instant updatedAt,
        List<StageView> stages,
        List<EventView> events) {

    public record StageView(
            int position,
            String task,
            String status,
            int attempt,
            Instant triggeredAt,
            Instant startedAt,
            Instant finishedAt,
            String message) {
        static StageView of(StageRun stage) {
            return new StageView(
                    stage.position(),
                    stage.task().id(),
                    stage.status().name(),
                    stage.attempt(),
                    stage.triggeredAt(),
                    stage.startedAt(),
                    stage.finishedAt(),
                    stage.message());
        }
    }

    public record EventView(String eventId, String type, String source, Instant time, Instant recordedAt) {
        static EventView of(EventLogEntry entry) {
            return new EventView(entry.eventId(), entry.type(), entry.source(), entry.eventTime(), entry.recordedAt());
        }
    }

    static ReleaseView of(Release release, List<EventLogEntry> events) {
        return new ReleaseView(
                release.id(),
                release.request().environment(),
                release.request().service(),
                release.request().version(),
                release.request().image(),
                release.state().name(),
                release.reason(),
                release.request().requestedBy(),
                release.createdAt(),
                release.updatedAt(),
                release.stages().stream().map(StageView::of).toList(),
                events == null ? null : events.stream().map(EventView::of).toList());
    }
}
