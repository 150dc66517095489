package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.maintenance.announced}: a release that needs downtime will run in this window. */
public record MaintenanceAnnounced(
        String environment, String service, String version, String windowStart, String windowEnd) {
    public MaintenanceAnnounced {
        Require.text(environment, "environment");
        Require.text(service, "service");
        Require.text(windowStart, "windowStart");
    }
}
