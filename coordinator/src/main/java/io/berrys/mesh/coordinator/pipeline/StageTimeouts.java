package io.berrys.mesh.coordinator.pipeline;

import java.time.Duration;

/** How long an agent may take to start a task, be silent while running it, and run it in all. */
public record StageTimeouts(Duration toStart, Duration heartbeat, Duration total) {}
