package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.provision.triggered}: plan, apply, destroy or drift-check an environment spec. */
public record ProvisionTriggered(String environment, String action, String provider) {
    public ProvisionTriggered {
        Require.text(environment, "environment");
        Require.text(action, "action");
        if (!action.equals("plan") && !action.equals("apply") && !action.equals("destroy") && !action.equals("drift")) {
            throw new IllegalArgumentException("'action' must be plan, apply, destroy or drift, got '" + action + "'");
        }
    }
}
