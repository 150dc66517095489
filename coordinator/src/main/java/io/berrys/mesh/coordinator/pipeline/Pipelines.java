package io.berrys.mesh.coordinator.pipeline;

import io.berrys.mesh.events.Task;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The configured pipelines, checked once at start: a typo in a stage name stops the coordinator, loudly. */
@ApplicationScoped
@Startup
public class Pipelines {

    private static final List<Task> PIPELINE_TASKS =
            List.of(Task.PROVISION, Task.BACKUP, Task.MIGRATION, Task.ROLLOUT, Task.VERIFICATION, Task.DECOMMISSION);

    private final Map<String, Pipeline> byEnvironment;
    private final Map<String, String> backupVerify = new TreeMap<>();

    public Pipelines(CoordinatorConfig config) {
        this.byEnvironment = build(config);
        config.pipelines().forEach((environment, pipeline) -> {
            String mode = pipeline.backupVerify();
            if (!mode.equals("full") && !mode.equals("quick")) {
                throw new IllegalArgumentException(
                        "pipeline " + environment + ": backup-verify must be full or quick, got '" + mode + "'");
            }
            backupVerify.put(environment, mode);
        });
    }

    /** The verification the backup stage of an environment asks for. */
    public String backupVerify(String environment) {
        return backupVerify.getOrDefault(environment, "full");
    }

    static Map<String, Pipeline> build(CoordinatorConfig config) {
        Map<String, Pipeline> pipelines = new TreeMap<>();
        config.pipelines().forEach((environment, pipeline) -> {
            List<Task> stages = new ArrayList<>();
            for (String stage : pipeline.stages()) {
                Task task = Task.fromId(stage.trim())
                        .filter(PIPELINE_TASKS::contains)
                        .orElseThrow(() -> new IllegalArgumentException("pipeline " + environment + ": stage '" + stage
                                + "' is not one of provision, backup, migration, rollout, verification, decommission"));
                // The infrastructure is made before anything runs on it.
                if (task == Task.PROVISION && !stages.isEmpty()) {
                    throw new IllegalArgumentException(
                            "pipeline " + environment + ": provision can only be the first stage");
                }
                stages.add(task);
            }
            StageTimeouts defaults = new StageTimeouts(
                    pipeline.timeouts().toStart(),
                    pipeline.timeouts().heartbeat(),
                    pipeline.timeouts().total());
            Map<Task, StageTimeouts> overrides = new EnumMap<>(Task.class);
            pipeline.stageTimeouts().forEach((stage, override) -> {
                Task task = Task.fromId(stage)
                        .orElseThrow(() -> new IllegalArgumentException(
                                "pipeline " + environment + ": stage-timeouts names unknown stage '" + stage + "'"));
                overrides.put(
                        task,
                        new StageTimeouts(
                                override.toStart().orElse(defaults.toStart()),
                                override.heartbeat().orElse(defaults.heartbeat()),
                                override.total().orElse(defaults.total())));
            });
            List<MaintenanceWindow> windows = pipeline.maintenanceWindows().orElse(List.of()).stream()
                    .map(MaintenanceWindow::parse)
                    .toList();
            pipelines.put(
                    environment, new Pipeline(environment, stages, pipeline.approval(), windows, defaults, overrides));
        });
        return pipelines;
    }

    public Optional<Pipeline> forEnvironment(String environment) {
        return Optional.ofNullable(byEnvironment.get(environment));
    }

    /** The shortest total time any stage of any pipeline may take. */
    public java.time.Duration shortestTotal() {
        return timeoutsOfAllStages()
                .map(StageTimeouts::total)
                .min(java.time.Duration::compareTo)
                .orElse(java.time.Duration.ofMinutes(30));
    }

    private java.util.stream.Stream<StageTimeouts> timeoutsOfAllStages() {
        return byEnvironment.values().stream()
                .flatMap(pipeline -> pipeline.stages().stream().map(pipeline::timeouts));
    }

    public List<String> environments() {
        return List.copyOf(byEnvironment.keySet());
    }
}
