package io.berrys.mesh.coordinator.pipeline;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coordinator's configuration, under {@code mesh.coordinator}. Pipelines are keyed by environment:
 *
 * <pre>
 * mesh.coordinator.pipelines.production.stages=backup,migration,rollout,verification,decommission
 * mesh.coordinator.pipelines.production.approval=true
 * mesh.coordinator.pipelines.production.maintenance-windows=SUN 02:00-04:00
 * mesh.coordinator.pipelines.production.timeouts.to-start=PT1M
 * mesh.coordinator.pipelines.production.stage-timeouts.migration.total=PT2H
 * </pre>
 */
@ConfigMapping(prefix = "mesh.coordinator")
public interface CoordinatorConfig {

    Map<String, PipelineConfig> pipelines();

    /** A newer release of the same service replaces one still waiting in the queue. */
    @WithDefault("true")
    boolean supersedeQueued();

    /** How far ahead of a maintenance window {@code mesh.maintenance.announced} goes out. */
    @WithDefault("PT48H")
    Duration announcementLead();

    /** After the store was unreachable, how long stage timeouts wait for the reports retried meanwhile. */
    @WithDefault("PT1M")
    Duration outageGrace();

    /** How often overdue stages, open windows and unsent events are looked for. */
    @WithDefault("PT1S")
    Duration sweepInterval();

    /**
     * A command whose owner has said nothing (not even {@code started}) this long after it was sent is sent again,
     * with the same event id: a Redis that crashed may have lost it. Owners answer a repeat once.
     */
    @WithDefault("PT10S")
    Duration commandResendAfter();

    /** How often one command is sent again before the stage's {@code to-start} timeout is left to decide. */
    @WithDefault("3")
    int commandResends();

    /** How {@code POST /api/admin/rebuild} replays the event log; see the README's "Rebuild". */
    RebuildConfig rebuild();

    interface RebuildConfig {
        /**
         * Entries of the log replayed per transaction. Under the mesh's 4 MB young generation, a page of 1,000 outlived
         * young collections and was promoted (a full collection every few pages); 300 died young and replayed faster.
         */
        @WithDefault("300")
        int pageSize();

        /** Releases kept in memory between pages (finished ones leave at once); about 3 KB each. */
        @WithDefault("5000")
        int cacheSize();

        /**
         * How old an entry must be before a page outside the swap replays it. A live transaction takes its entry's
         * sequence number before it commits, so a page that reads up to the newest entries may pass one committed a
         * moment later; such entries are found and replayed afterwards, and waiting this long keeps them rare.
         */
        @WithDefault("PT5S")
        Duration settle();

        /** How long the swap waits for its locks before it catches up again and retries. */
        @WithDefault("PT2S")
        Duration swapLockTimeout();

        @WithDefault("5")
        int swapAttempts();

        /** A running rebuild that has not reported for this long is taken as dead (its coordinator stopped). */
        @WithDefault("PT1M")
        Duration staleAfter();
    }

    /** API tokens by name; see {@link io.berrys.mesh.coordinator.auth.ApiTokens}. */
    Map<String, TokenConfig> tokens();

    interface TokenConfig {
        /** Empty disables the token (so a variable left unset never opens the API). */
        Optional<String> secret();

        @WithDefault("viewer")
        String role();

        /** Environments the token may act on; {@code *} for all. */
        @WithDefault("*")
        List<String> environments();
    }

    interface PipelineConfig {
        List<String> stages();

        /** How the backup stage proves its backup: {@code full} (a test restore) or {@code quick} (checksum, list). */
        @WithDefault("full")
        String backupVerify();

        @WithDefault("false")
        boolean approval();

        Optional<List<String>> maintenanceWindows();

        TimeoutsConfig timeouts();

        Map<String, OverrideTimeouts> stageTimeouts();
    }

    interface TimeoutsConfig {
        @WithDefault("PT2M")
        Duration toStart();

        @WithDefault("PT1M")
        Duration heartbeat();

        @WithDefault("PT30M")
        Duration total();
    }

    interface OverrideTimeouts {
        Optional<Duration> toStart();

        Optional<Duration> heartbeat();

        Optional<Duration> total();
    }
}
