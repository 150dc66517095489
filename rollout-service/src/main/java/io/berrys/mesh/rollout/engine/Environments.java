package io.berrys.mesh.rollout.engine;

import io.berrys.mesh.rollout.RolloutConfig;
import io.berrys.mesh.rollout.kube.RolloutRejected;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The settings of one environment: configured overrides over the defaults. */
@ApplicationScoped
public class Environments {

    /** Resolved settings for one environment. */
    public record Settings(
            String namespace,
            String router,
            List<Integer> steps,
            List<String> stepChecks,
            Duration stepPause,
            Duration rollbackWindow) {}

    private final RolloutConfig config;

    public Environments(RolloutConfig config) {
        this.config = config;
    }

    public Settings of(String environment) {
        Optional<RolloutConfig.Environment> overrides =
                Optional.ofNullable(config.environments().get(environment));
        List<Integer> steps =
                overrides.flatMap(RolloutConfig.Environment::steps).orElse(config.steps());
        validateSteps(environment, steps);
        return new Settings(
                overrides.flatMap(RolloutConfig.Environment::namespace).orElse(environment),
                overrides.flatMap(RolloutConfig.Environment::router).orElse(config.router()),
                steps,
                overrides.flatMap(RolloutConfig.Environment::stepChecks).orElse(List.of()),
                overrides.flatMap(RolloutConfig.Environment::stepPause).orElse(config.stepPause()),
                overrides.flatMap(RolloutConfig.Environment::rollbackWindow).orElse(config.rollbackWindow()));
    }

    /** Steps from a command replace the configured ones; they obey the same rules. */
    public static List<Integer> validateSteps(String environment, List<Integer> steps) {
        if (steps.isEmpty() || steps.get(steps.size() - 1) != 100) {
            throw new RolloutRejected("traffic steps for " + environment + " must end at 100, got " + steps);
        }
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i) <= steps.get(i - 1)) {
                throw new RolloutRejected("traffic steps for " + environment + " must increase, got " + steps);
            }
        }
        if (steps.get(0) <= 0) {
            throw new RolloutRejected("traffic steps for " + environment + " must be above 0, got " + steps);
        }
        return steps;
    }
}
