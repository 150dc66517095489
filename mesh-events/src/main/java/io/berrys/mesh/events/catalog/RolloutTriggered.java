package io.berrys.mesh.events.catalog;

import java.util.List;

/** Payload of {@code mesh.rollout.triggered}: put {@code image} live for a service, shifting traffic in steps. */
public record RolloutTriggered(
        String environment, String service, String version, String image, List<Integer> trafficSteps) {
    public RolloutTriggered {
        Require.text(environment, "environment");
        Require.text(service, "service");
        Require.text(version, "version");
        Require.text(image, "image");
        trafficSteps = Require.listOrEmpty(trafficSteps);
        for (Integer step : trafficSteps) {
            if (step == null || step < 0 || step > 100) {
                throw new IllegalArgumentException("'trafficSteps' must hold percentages within 0..100");
            }
        }
    }
}
