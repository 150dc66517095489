package io.berrys.mesh.events.catalog;

/**
 * Payload of {@code mesh.<task>.progressed}: a heartbeat or a step. {@code percent} is optional; the coordinator's
 * heartbeat timeout restarts on every one.
 */
public record TaskProgressed(String task, String step, Integer percent, String message) {
    public TaskProgressed {
        Require.text(task, "task");
        Require.text(step, "step");
        if (percent != null && (percent < 0 || percent > 100)) {
            throw new IllegalArgumentException("'percent' must be within 0..100, got " + percent);
        }
    }
}
