package io.berrys.mesh.monitor;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The monitor-service's configuration, under {@code mesh.monitor}:
 *
 * <pre>
 * mesh.monitor.webhook-token=${MESH_ALERT_TOKEN}
 * mesh.monitor.policies.errors.alerts=HighErrorRate,ServiceDown
 * mesh.monitor.policies.errors.severities=critical
 * mesh.monitor.checks.error-rate.query=...{service}...{environment}...
 * mesh.monitor.checks.error-rate.condition=&lt; 0.05
 * mesh.monitor.environments.production.checks=error-rate,latency-p99
 * </pre>
 */
@ConfigMapping(prefix = "mesh.monitor")
public interface MonitorConfig {

    /** The bearer token Alertmanager sends; without one every webhook call is refused. */
    Optional<String> webhookToken();

    /** The bearer token operators read the monitor's API with (the coordinator's operator token); without one, 401. */
    Optional<String> apiToken();

    /** After a rollback, further alerts about the same service record only, for this long. */
    @WithDefault("PT10M")
    Duration cooldown();

    /** How long after promotion a release can still be rolled back (the rollout-service's window). */
    @WithDefault("PT30M")
    Duration rollbackWindow();

    /** How far back in {@code mesh.transitions} the live-release projection is rebuilt from at start. */
    @WithDefault("PT24H")
    Duration projectionLookback();

    /** The projection's snapshot in Redis, from which a start replays only the entries after it. */
    Snapshot snapshot();

    /** Alert-to-release rules by name, tried in name order; the first that matches decides. */
    Map<String, Policy> policies();

    Prometheus prometheus();

    Verification verification();

    /** PromQL checks by the name pipelines use. */
    Map<String, Check> checks();

    Map<String, Environment> environments();

    interface Policy {
        /** Alert names this rule covers; {@code *} for any. */
        List<String> alerts();

        /** Severities covered; all when unset. */
        Optional<List<String>> severities();

        /** Labels the alert must carry with these values. */
        Map<String, String> labels();

        /** {@code rollback} or {@code record}. */
        @WithDefault("rollback")
        String action();

        /** The alert label naming the service; ignored when {@link #service()} is set. */
        @WithDefault("service")
        String serviceLabel();

        @WithDefault("environment")
        String environmentLabel();

        Optional<String> service();

        Optional<String> environment();
    }

    interface Snapshot {
        /** Off: nothing is written, and every start replays the whole {@code projection-lookback}. */
        @WithDefault("true")
        boolean enabled();

        /** How often the snapshot is written while new entries were folded; once more on shutdown. */
        @WithDefault("PT30S")
        Duration interval();
    }

    interface Prometheus {
        @WithDefault("http://127.0.0.1:9090")
        String url();

        @WithDefault("PT10S")
        Duration timeout();
    }

    interface Verification {
        /** How long checks are measured when the command names no bake time. */
        @WithDefault("PT2M")
        Duration bake();

        @WithDefault("PT30S")
        Duration interval();

        /** Prometheus failures in a row after which the verification fails instead of waiting. */
        @WithDefault("4")
        int consecutiveErrorLimit();
    }

    interface Check {
        /** PromQL; {@code {service}}, {@code {environment}} and {@code {namespace}} are filled in. */
        String query();

        /** What each value must satisfy, e.g. {@code < 0.05} or {@code == 1}. */
        String condition();

        /** Failed measurements tolerated; one more fails the verification. */
        @WithDefault("0")
        int failureLimit();

        /** Measurements without data tolerated before the outcome is inconclusive (a warning). */
        @WithDefault("1")
        int inconclusiveLimit();
    }

    interface Environment {
        /** Checks run when a verification command names none. */
        Optional<List<String>> checks();

        Optional<String> namespace();
    }
}
