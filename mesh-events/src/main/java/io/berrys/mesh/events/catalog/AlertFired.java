package io.berrys.mesh.events.catalog;

import java.util.Map;

/** Payload of {@code mesh.alert.fired}, as the monitor-service read it from Alertmanager. */
public record AlertFired(
        String alertName,
        String fingerprint,
        String severity,
        String environment,
        String service,
        Map<String, String> labels,
        String summary,
        String startsAt) {
    public AlertFired {
        Require.text(alertName, "alertName");
        Require.text(fingerprint, "fingerprint");
        labels = Require.mapOrEmpty(labels);
    }
}
