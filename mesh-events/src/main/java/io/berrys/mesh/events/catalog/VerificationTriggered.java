package io.berrys.mesh.events.catalog;

import java.util.List;

/** Payload of {@code mesh.verification.triggered}: the checks the pipeline names, judged over a bake window. */
public record VerificationTriggered(
        String environment, String service, List<String> checks, Integer bakeSeconds, Integer trafficPercent) {
    public VerificationTriggered {
        Require.text(environment, "environment");
        Require.text(service, "service");
        checks = Require.listOrEmpty(checks);
    }
}
