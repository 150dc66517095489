package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.alert.resolved}. */
public record AlertResolved(String alertName, String fingerprint, String environment, String service, String endsAt) {
    public AlertResolved {
        Require.text(alertName, "alertName");
        Require.text(fingerprint, "fingerprint");
    }
}
