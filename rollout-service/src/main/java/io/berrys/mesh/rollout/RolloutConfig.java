package io.berrys.mesh.rollout;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rollout-service's configuration, under {@code mesh.rollout}. Defaults apply to every environment; an
 * environment may override the router, its namespace, the traffic steps and the step checks:
 *
 * <pre>
 * mesh.rollout.router=gateway
 * mesh.rollout.steps=10,25,50,100
 * mesh.rollout.environments.production.namespace=berrys-prod
 * mesh.rollout.environments.production.step-checks=error-rate,latency-p99
 * </pre>
 */
@ConfigMapping(prefix = "mesh.rollout")
public interface RolloutConfig {

    /** How traffic moves: {@code selector} (instant cut-over), {@code gateway} (HTTPRoute) or {@code nginx}. */
    @WithDefault("selector")
    String router();

    /** Percentages of traffic on the new version, in order; the last must be 100. */
    @WithDefault("10,25,50,100")
    List<Integer> steps();

    /** How long each traffic step holds before the next. */
    @WithDefault("PT30S")
    Duration stepPause();

    /** How long the new version may take to become available before the rollout fails. */
    @WithDefault("PT5M")
    Duration readyTimeout();

    /** How often the Kubernetes state is polled while waiting. */
    @WithDefault("PT1S")
    Duration pollInterval();

    /** How often a progressed heartbeat goes out while a step waits. */
    @WithDefault("PT5S")
    Duration heartbeat();

    /** How long a traffic step waits for its verification result before the rollout rolls back. */
    @WithDefault("PT10M")
    Duration stepCheckTimeout();

    /** After promotion the previous version stays warm (scaled, no traffic) this long for an instant rollback. */
    @WithDefault("PT30M")
    Duration rollbackWindow();

    /** A decommissioned (scaled to zero) previous version is deleted after this long. */
    @WithDefault("P1D")
    Duration retention();

    /** How often due decommissions and deletions are carried out. */
    @WithDefault("PT30S")
    Duration housekeepingInterval();

    /** Checks of the new version at full traffic before it is promoted. */
    Bake bake();

    Smoke smoke();

    Map<String, Environment> environments();

    interface Environment {
        /** Kubernetes namespace of the environment; the environment's name when unset. */
        Optional<String> namespace();

        Optional<String> router();

        Optional<List<Integer>> steps();

        Optional<Duration> stepPause();

        Optional<Duration> rollbackWindow();

        /** Verification checks run before each traffic increase; none means no gate. */
        Optional<List<String>> stepChecks();
    }

    interface Bake {
        /** How long every pod of the new version is watched at full traffic; zero skips the bake. */
        @WithDefault("PT30S")
        Duration duration();

        /** What a pod restarting or turning unready during the bake means: {@code warning} or {@code fail}. */
        @WithDefault("fail")
        String onFailure();
    }

    interface Smoke {
        /**
         * Where the preview Service answers; {@code {service}}, {@code {namespace}} and {@code {port}} are filled
         * in. The default is the Service's in-cluster address.
         */
        @WithDefault("http://{service}-preview.{namespace}.svc.cluster.local:{port}")
        String baseUrl();

        @WithName("checks")
        Optional<List<SmokeCheckConfig>> checks();

        /** Used when no check is configured: the new version must answer its readiness path. */
        @WithDefault("/health")
        String defaultPath();
    }

    interface SmokeCheckConfig {
        String path();

        @WithDefault("200")
        int status();

        /** A substring the body must contain. */
        Optional<String> body();

        @WithDefault("3")
        int retries();

        @WithDefault("PT5S")
        Duration timeout();
    }
}
