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
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Keeps {@link LiveReleases} current: rebuilt at start from the recent history of {@code mesh.transitions}
 * (XRANGE, so a restart forgets nothing the stream still holds), then fed by the consumer group.
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
    private final String stream;

    public TransitionsProjection(
            LiveReleases releases,
            RedisDataSource redis,
            MonitorConfig config,
            @ConfigProperty(name = "mp.messaging.incoming.transitions.stream") String stream) {
        this.releases = releases;
        this.redis = redis;
        this.config = config;
        this.stream = stream;
    }

    /** Before messaging starts (it starts on the same event, later), so no consumed event races the rebuild. */
    void rebuild(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
        long from = Instant.now().minus(config.projectionLookback()).toEpochMilli();
        String cursor = Long.toString(from);
        long startedNs = System.nanoTime();
        int read = 0;
        try {
            while (true) {
                List<StreamMessage<String, String, String>> page =
                        redis.stream(String.class).xrange(stream, StreamRange.of(cursor, "+"), PAGE);
                for (StreamMessage<String, String, String> entry : page) {
                    apply(entry.id(), entry.payload());
                }
                read += page.size();
                if (page.size() < PAGE) {
                    break;
                }
                cursor = "(" + page.get(page.size() - 1).id();
            }
            LOG.infof(
                    "Rebuilt the live-release projection from %d entries of %s in %d ms",
                    read, stream, (System.nanoTime() - startedNs) / 1_000_000);
        } catch (RuntimeException e) {
            // The consumer group fills the projection from here on; releases only the history knew are missed.
            LOG.warnf("Could not rebuild the live-release projection from %s: %s", stream, e.getMessage());
        }
    }

    private void apply(String entryId, java.util.Map<String, String> fields) {
        if (!releases.mayChange(fields.get(EntryFields.TYPE), fields.get(EntryFields.RELEASE_ID))) {
            return;
        }
        try {
            releases.apply(EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES), entryId);
        } catch (MalformedEventException | IllegalArgumentException e) {
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
