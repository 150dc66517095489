package io.berrys.mesh.coordinator.pipeline;

import io.berrys.mesh.events.Task;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The stages a release of one environment goes through, and what holds it before the first. */
public record Pipeline(
        String environment,
        List<Task> stages,
        boolean approval,
        List<MaintenanceWindow> windows,
        StageTimeouts defaultTimeouts,
        Map<Task, StageTimeouts> stageTimeouts) {

    public Pipeline {
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("pipeline of " + environment + " has no stages");
        }
        stages = List.copyOf(stages);
        windows = List.copyOf(windows);
        stageTimeouts = Map.copyOf(stageTimeouts);
    }

    public StageTimeouts timeouts(Task task) {
        return stageTimeouts.getOrDefault(task, defaultTimeouts);
    }

    /** A release that needs downtime may run now, or must wait for the returned opening. */
    public Optional<Instant> nextWindowOpening(Instant now) {
        return windows.stream().map(window -> window.nextOpening(now)).min(Instant::compareTo);
    }

    public boolean windowOpen(Instant now) {
        return windows.stream().anyMatch(window -> window.isOpen(now));
    }
}
