package io.berrys.mesh.coordinator.store;

import java.time.Instant;

/**
 * Every envelope the coordinator accepted, once (unique event id): the source of truth for the projections.
 * {@code seq} is the log's order, assigned when the entry is written (0 before); {@code fields} holds the stream
 * entry's fields as JSON, enough to decode the CloudEvent again.
 */
public record EventLogEntry(
        long seq,
        String eventId,
        String type,
        String source,
        String releaseId,
        String subject,
        Instant eventTime,
        String fields,
        Instant recordedAt) {}
