package io.berrys.mesh.monitor.releases;

import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.MalformedEventException;
import io.berrys.mesh.events.redis.IncomingRedisStreamsMetadata;
import io.berrys.mesh.monitor.MonitorConfig;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Keeps {@link LiveReleases} current: rebuilt at start from the recent history of {@code mesh.transitions}
 * (XRANGE, so a restart forgets nothing the stream still holds), then fed by the consumer group. The rebuild starts
 * from the snapshot {@link SnapshotWriter} keeps when there is a usable one, and replays only the entries after it;
 * otherwise it replays the whole {@code projection-lookback}.
 */
@ApplicationScoped
public class TransitionsProjection {

    private static final Logger LOG = Logger.getLogger(TransitionsProjection.class);
    // Small, so that a page is mostly garbage before the young generation (4 MB in the demo's options) is collected
    // and little of it is promoted: a rebuild of 9,800 entries cost 9-10 full collections with pages of 1,000,
    // 3-4 with pages of 100, each round trip to Redis well under a millisecond.
    private static final int PAGE = 100;

    private final LiveReleases releases;
    private final RedisDataSource redis;
    private final MonitorConfig config;
    private final SnapshotStore snapshots;
    private final String stream;
    private final String group;

    public TransitionsProjection(
            LiveReleases releases,
            RedisDataSource redis,
            MonitorConfig config,
            SnapshotStore snapshots,
            @ConfigProperty(name = "mp.messaging.incoming.transitions.stream") String stream,
            @ConfigProperty(name = "mp.messaging.incoming.transitions.group") String group) {
        this.releases = releases;
        this.redis = redis;
        this.config = config;
        this.snapshots = snapshots;
        this.stream = stream;
        this.group = group;
    }

    /** What a rebuild did: {@code snapshotThrough} is null when it replayed the whole look-back. */
    public record Rebuilt(String snapshotThrough, int releasesFromSnapshot, int entries, long millis) {
        public boolean fromSnapshot() {
            return snapshotThrough != null;
        }
    }

    /** Before messaging starts (it starts on the same event, later), so no consumed event races the rebuild. */
    void rebuild(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
        rebuild(Instant.now());
    }

    /** Rebuilds the projection as it stands at {@code now}; a failure is logged, never thrown. */
    public Rebuilt rebuild(Instant now) {
        String cutoff = Long.toString(now.minus(config.projectionLookback()).toEpochMilli());
        long startedNs = System.nanoTime();
        LiveReleasesSnapshot snapshot = usableSnapshot(cutoff);
        int restored = snapshot == null ? 0 : releases.restore(snapshot, cutoff);
        String through = snapshot == null ? null : snapshot.through();
        int read = 0;
        String lastRead = through == null ? cutoff + "-0" : through;
        try {
            String cursor = through == null ? cutoff : "(" + through;
            while (true) {
                List<StreamMessage<String, String, String>> page =
                        redis.stream(String.class).xrange(stream, StreamRange.of(cursor, "+"), PAGE);
                for (StreamMessage<String, String, String> entry : page) {
                    apply(entry.id(), entry.payload());
                }
                read += page.size();
                if (!page.isEmpty()) {
                    lastRead = page.get(page.size() - 1).id();
                }
                if (page.size() < PAGE) {
                    break;
                }
                cursor = "(" + lastRead;
            }
            continueGroupAfter(lastRead);
        } catch (RuntimeException e) {
            LOG.warnf(
                    "Could not finish rebuilding the live-release projection from %s (read up to entry %s): %s",
                    stream, lastRead, e.getMessage());
            try {
                // The consumer then delivers the rest of the history, and the projection is whole again.
                continueGroupAfter(lastRead);
            } catch (RuntimeException groupFailure) {
                // A group left to start at "$" skips what the rebuild did not read. A snapshot of this projection
                // would carry that gap into every later start, and outrank the snapshots of whole replicas.
                releases.markIncomplete();
                LOG.warnf(
                        "Could not position consumer group %s of %s either (%s): this replica writes no live-release"
                                + " snapshot until it restarts",
                        group, stream, groupFailure.getMessage());
            }
        }
        long millis = (System.nanoTime() - startedNs) / 1_000_000;
        if (snapshot == null) {
            LOG.infof("Rebuilt the live-release projection from %d entries of %s in %d ms", read, stream, millis);
        } else {
            LOG.infof(
                    "Rebuilt the live-release projection from the snapshot through %s (%d releases) and %d later"
                            + " entries of %s in %d ms",
                    through, restored, read, stream, millis);
        }
        return new Rebuilt(through, restored, read, millis);
    }

    /**
     * A consumer group this replica has not had yet starts right after the last entry the rebuild read. Left to the
     * channel, it would start at "$" when messaging starts, and an entry written in between would be in neither
     * the rebuild nor the group (nor, from then on, in the snapshots). An existing group keeps its place: what it
     * delivers again, the projection already holds and ignores.
     */
    private void continueGroupAfter(String lastRead) {
        try {
            redis.stream(String.class).xgroupCreate(stream, group, lastRead, new XGroupCreateArgs().mkstream());
            LOG.debugf("Consumer group %s of %s starts after entry %s", group, stream, lastRead);
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /** The stored snapshot if it can stand in for the replay up to its {@code through}; otherwise says why not. */
    private LiveReleasesSnapshot usableSnapshot(String cutoff) {
        String instead = "; replaying the last " + config.projectionLookback() + " of " + stream + " instead";
        if (!config.snapshot().enabled()) {
            return null;
        }
        SnapshotStore.Stored stored;
        try {
            stored = snapshots.read();
        } catch (RuntimeException e) {
            LOG.warnf("Could not read the live-release snapshot %s (%s)%s", snapshots.key(), e.getMessage(), instead);
            return null;
        }
        if (stored.missing()) {
            LOG.infof("No live-release snapshot at %s yet%s", snapshots.key(), instead);
            return null;
        }
        if (!Integer.toString(LiveReleasesSnapshot.FORMAT).equals(stored.format())) {
            LOG.infof(
                    "Ignoring the live-release snapshot at %s: its format is %s, this version reads %d%s",
                    snapshots.key(), stored.format(), LiveReleasesSnapshot.FORMAT, instead);
            return null;
        }
        LiveReleasesSnapshot snapshot;
        try {
            snapshot = LiveReleasesSnapshot.decode(stored.through(), stored.state());
        } catch (IllegalArgumentException e) {
            LOG.warnf(
                    "Ignoring the unreadable live-release snapshot at %s: %s%s",
                    snapshots.key(), e.getMessage(), instead);
            return null;
        }
        if (LiveReleases.compareIds(snapshot.through(), cutoff) < 0) {
            LOG.infof(
                    "Ignoring the live-release snapshot at %s: it ends at entry %s, before the look-back%s",
                    snapshots.key(), snapshot.through(), instead);
            return null;
        }
        return snapshot;
    }

    private void apply(String entryId, Map<String, String> fields) {
        if (releases.skipWithoutDecoding(
                entryId,
                fields.get(EntryFields.TYPE),
                fields.get(EntryFields.RELEASE_ID),
                fields.get(EntryFields.SUBJECT))) {
            return;
        }
        try {
            releases.apply(EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES), entryId);
        } catch (MalformedEventException | IllegalArgumentException e) {
            releases.skipUnreadable(entryId);
            LOG.debugf("Skipping entry %s of %s while rebuilding: %s", entryId, stream, e.getMessage());
        }
    }

    @Incoming("transitions")
    public Uni<Void> consume(Message<CloudEvent> message) {
        String entryId = message.getMetadata(IncomingRedisStreamsMetadata.class)
                .map(IncomingRedisStreamsMetadata::entryId)
                .orElse(null);
        releases.apply(message.getPayload(), entryId);
        return Uni.createFrom().completionStage(message.ack());
    }
}
