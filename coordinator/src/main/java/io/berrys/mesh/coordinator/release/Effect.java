package io.berrys.mesh.coordinator.release;

import java.time.Instant;

/** What a release decision asks the outside world to do; the orchestrator carries it out. */
public sealed interface Effect {

    /** Send {@code mesh.<task>.triggered} for this stage, with this event id. */
    record TriggerStage(int position, String eventId) implements Effect {}

    /** Send {@code mesh.rollback.triggered} on the priority stream. */
    record TriggerRollback(String eventId, String reason) implements Effect {}

    /** The release left its (environment, service) slot: the next queued one may go. */
    record SlotFreed() implements Effect {}

    /** Announce the maintenance window this release waits for. */
    record AnnounceWindow(Instant opening, Instant closing) implements Effect {}
}
