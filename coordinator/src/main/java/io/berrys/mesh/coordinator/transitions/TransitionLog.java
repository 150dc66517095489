package io.berrys.mesh.coordinator.transitions;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.redis.IncomingRedisStreamsMetadata;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.data.PojoCloudEventData;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The most recent events consumed from the transitions stream, newest first, kept in memory for a quick look
 * ({@code GET /api/transitions}); the event log in PostgreSQL holds them all.
 */
@ApplicationScoped
public class TransitionLog {

    static final int CAPACITY = 500;
    private static final Logger LOG = Logger.getLogger(TransitionLog.class);

    private final Deque<RecordedTransition> recent = new ArrayDeque<>(CAPACITY);

    public void record(CloudEvent event, IncomingRedisStreamsMetadata metadata) {
        Object data = event.getData() instanceof PojoCloudEventData<?> pojo ? pojo.getValue() : null;
        RecordedTransition transition = new RecordedTransition(
                event.getId(),
                event.getType(),
                event.getSource().toString(),
                Events.releaseId(event),
                event.getSubject(),
                event.getTime(),
                metadata.entryId(),
                metadata.attempt(),
                data);
        synchronized (recent) {
            if (recent.size() == CAPACITY) {
                recent.removeLast();
            }
            recent.addFirst(transition);
        }
        if (EventType.RELEASE_PUBLISHED.equals(event.getType())) {
            ReleasePublished release = Events.payload(event, ReleasePublished.class);
            LOG.infof(
                    "Release requested: %s %s to %s (event %s, stream entry %s)",
                    release.service(), release.version(), release.environment(), event.getId(), metadata.entryId());
        } else {
            LOG.debugf("Transition %s for release %s", event.getType(), transition.releaseId());
        }
    }

    /** Newest first, at most {@code limit}, optionally only those of one release. */
    public List<RecordedTransition> recent(int limit, String releaseId) {
        List<RecordedTransition> result = new ArrayList<>(Math.min(limit, CAPACITY));
        synchronized (recent) {
            for (RecordedTransition transition : recent) {
                if (result.size() == limit) {
                    break;
                }
                if (releaseId == null || releaseId.equals(transition.releaseId())) {
                    result.add(transition);
                }
            }
        }
        return result;
    }
}
