package io.berrys.mesh.coordinator.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A rebuild of the projections and how far it got. {@code eventsTotal} is the log's size when it started (the
 * live log grows meanwhile, so replayed may pass it); the rate and the estimate are over the replay so far.
 */
public record RebuildJob(
        String id,
        State state,
        Phase phase,
        String requestedBy,
        Instant startedAt,
        Instant updatedAt,
        Instant finishedAt,
        long eventsTotal,
        long eventsReplayed,
        Double eventsPerSecond,
        Long releases,
        Long longestPauseMs,
        Integer peakHeapMb,
        String message) {

    public enum State {
        RUNNING,
        SUCCEEDED,
        FAILED
    }

    public enum Phase {
        /** Making the shadow tables. */
        PREPARING,
        /** Replaying the log into them, page by page, while live processing goes on. */
        REPLAYING,
        /** Live writers stopped: replaying the last entries, checking, swapping the tables. */
        SWAPPING,
        DONE
    }

    /** Seconds until the replay reaches the log's size at the start, at the rate so far; null before a rate. */
    @JsonProperty("etaSeconds")
    public Long etaSeconds() {
        if (state != State.RUNNING || eventsPerSecond == null || eventsPerSecond <= 0) {
            return null;
        }
        return Math.max(0, Math.round((eventsTotal - eventsReplayed) / eventsPerSecond));
    }
}
