package io.berrys.mesh.coordinator.store;

import java.time.Instant;

/** Who asked for what, and when: every command and every publication. */
public record AuditEntry(String releaseId, String actor, String action, String detail, Instant at) {}
