package io.berrys.mesh.monitor.releases;

import io.berrys.mesh.monitor.MonitorConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Writes the {@link LiveReleases} snapshot to {@link SnapshotStore} every {@code snapshot.interval} while anything new
 * was folded, and once more on shutdown, so that the next start replays only what came after it. On a thread of its
 * own: a slow or failing Redis delays no event handling, and a failure is only logged.
 */
@ApplicationScoped
public class SnapshotWriter {

    private static final Logger LOG = Logger.getLogger(SnapshotWriter.class);

    /** What one attempt did. */
    public enum Outcome {
        /** Nothing was folded since the last write. */
        UNCHANGED,
        /** The projection has a gap (the start-up rebuild failed): a snapshot of it would hide the gap. */
        INCOMPLETE,
        WRITTEN,
        /** Another replica's snapshot had folded as far or further, and stays. */
        NEWER_KEPT,
        FAILED
    }

    private final LiveReleases releases;
    private final SnapshotStore store;
    private final MonitorConfig config;
    private ScheduledExecutorService timer;
    /** The {@code through} last written or found overtaken, guarded by {@code this}. */
    private String lastThrough;

    public SnapshotWriter(LiveReleases releases, SnapshotStore store, MonitorConfig config) {
        this.releases = releases;
        this.store = store;
        this.config = config;
    }

    /** After the start-up rebuild (which observes this event first). */
    void start(@Observes StartupEvent started) {
        if (!config.snapshot().enabled()) {
            return;
        }
        long every = Math.max(1, config.snapshot().interval().toMillis());
        timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "live-releases-snapshot");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::writePeriodically, every, every, TimeUnit.MILLISECONDS);
    }

    /** After the consumer has stopped (the connector stops it at the default priority), so the last write has all. */
    void stop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent stopping) {
        if (timer == null) {
            return;
        }
        timer.shutdown();
        Outcome outcome = writeIfChanged();
        if (outcome == Outcome.WRITTEN) {
            LOG.infof("Wrote the live-release snapshot through %s to %s on shutdown", lastThrough(), store.key());
        }
    }

    private void writePeriodically() {
        Outcome outcome = writeIfChanged();
        LOG.debugf("Live-release snapshot: %s (through %s)", outcome, lastThrough());
    }

    /** Writes the snapshot unless nothing was folded since the last write; never throws. */
    public synchronized Outcome writeIfChanged() {
        if (releases.incomplete()) {
            return Outcome.INCOMPLETE;
        }
        LiveReleasesSnapshot snapshot = releases.snapshot();
        if (snapshot.through() == null || Objects.equals(snapshot.through(), lastThrough)) {
            return Outcome.UNCHANGED;
        }
        try {
            boolean written = store.write(snapshot);
            lastThrough = snapshot.through();
            return written ? Outcome.WRITTEN : Outcome.NEWER_KEPT;
        } catch (RuntimeException e) {
            LOG.warnf(
                    "Could not write the live-release snapshot through %s to %s (%s); the next start replays more"
                            + " of the stream",
                    snapshot.through(), store.key(), e.getMessage());
            return Outcome.FAILED;
        }
    }

    private synchronized String lastThrough() {
        return lastThrough;
    }
}
