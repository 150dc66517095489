package io.berrys.mesh.coordinator.orchestration;

import io.berrys.mesh.coordinator.store.StoreFailures;
import io.berrys.mesh.coordinator.transitions.TransitionLog;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.redis.IncomingRedisStreamsMetadata;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Reads {@code mesh.transitions} with the consumer group {@code coordinator}. An entry is acknowledged once its
 * event is committed to the event log and applied; a failure leaves it to the connector's retries.
 */
@ApplicationScoped
public class TransitionConsumer {

    private static final long STORE_RETRY_MS = 1_000;

    private final Orchestrator orchestrator;
    private final TransitionLog recent;

    public TransitionConsumer(Orchestrator orchestrator, TransitionLog recent) {
        this.orchestrator = orchestrator;
        this.recent = recent;
    }

    /**
     * Hands the event to the orchestrator's group writer and returns at once, so the connector keeps delivering
     * (up to its {@code max-in-flight}) while a group is committed; the entry is acknowledged when its event is.
     */
    @Incoming("transitions")
    public Uni<Void> consume(Message<CloudEvent> message) {
        CloudEvent event = message.getPayload();
        message.getMetadata(IncomingRedisStreamsMetadata.class).ifPresent(metadata -> recent.record(event, metadata));
        // The stage is the one the orchestrator completes itself: its failure arrives unwrapped.
        orchestrator.accept(event).whenComplete((ignored, failure) -> {
            if (failure == null) {
                message.ack();
                return;
            }
            // An unreachable store is waited out without spending the entry's attempts: the event itself is valid.
            Throwable verdict = StoreFailures.isTransient(failure)
                    ? new RetryLaterException("release store unavailable: " + failure.getMessage(), STORE_RETRY_MS)
                    : failure;
            message.nack(verdict);
        });
        return Uni.createFrom().voidItem();
    }
}
