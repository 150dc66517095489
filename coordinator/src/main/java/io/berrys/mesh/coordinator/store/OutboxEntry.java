package io.berrys.mesh.coordinator.store;

import java.time.Instant;

/**
 * An event decided inside a transaction, written with it, and put on the stream after the commit. A crash in
 * between leaves it unsent, and the relay's sweep sends it: a decision is never lost, at worst sent twice.
 */
public record OutboxEntry(String eventId, String fields, Instant createdAt) {}
