package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.decommission.triggered}: retire the previous (blue) version of a service. */
public record DecommissionTriggered(String environment, String service, String version) {
    public DecommissionTriggered {
        Require.text(environment, "environment");
        Require.text(service, "service");
    }
}
