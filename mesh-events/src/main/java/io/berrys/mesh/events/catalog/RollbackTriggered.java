package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.rollback.triggered}, always written to {@code mesh.priority}. */
public record RollbackTriggered(String environment, String service, String reason, String requestedBy) {
    public RollbackTriggered {
        Require.text(environment, "environment");
        Require.text(service, "service");
        Require.text(reason, "reason");
    }
}
