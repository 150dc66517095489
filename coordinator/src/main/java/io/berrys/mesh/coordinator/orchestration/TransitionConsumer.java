package io.berrys.mesh.coordinator.orchestration;

import io.berrys.mesh.coordinator.store.StoreFailures;
import io.berrys.mesh.coordinator.transitions.TransitionLog;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.MalformedEventException;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.redis.IncomingRedisStreamsMetadata;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Reads {@code mesh.transitions} and {@code mesh.commands} with the consumer group {@code coordinator}. An entry is
 * acknowledged once its event is committed to the event log and applied; a failure leaves it to the connector's
 * retries.
 *
 * <p>Release requests and commands are taken from {@code mesh.commands} only, which only their producers may write
 * (Redis ACLs), and nothing else from there. On {@code mesh.transitions} they are the coordinator's own
 * announcements of what it accepted from its API, already applied; any other is dead-lettered with the reason, so
 * that whoever can write the transitions stream cannot approve or roll back a release.
 */
@ApplicationScoped
public class TransitionConsumer {

    private static final long STORE_RETRY_MS = 1_000;
    private static final Set<String> REQUESTS = Set.of(EventType.RELEASE_PUBLISHED, EventType.RELEASE_COMMAND);

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
        CloudEvent event = recorded(message);
        settle(message, REQUESTS.contains(event.getType()) ? announced(event) : orchestrator.accept(event));
        return Uni.createFrom().voidItem();
    }

    /** Release requests and commands, from their producers: nothing else travels there. */
    @Incoming("requests")
    public Uni<Void> request(Message<CloudEvent> message) {
        CloudEvent event = recorded(message);
        settle(
                message,
                REQUESTS.contains(event.getType())
                        ? orchestrator.accept(event)
                        : CompletableFuture.failedFuture(new MalformedEventException(event.getType()
                                + " does not travel on " + Streams.COMMANDS
                                + ", which carries release requests and commands only")));
        return Uni.createFrom().voidItem();
    }

    /** The message's event, kept among the recent transitions {@code GET /api/transitions} shows. */
    private CloudEvent recorded(Message<CloudEvent> message) {
        CloudEvent event = message.getPayload();
        message.getMetadata(IncomingRedisStreamsMetadata.class).ifPresent(metadata -> recent.record(event, metadata));
        return event;
    }

    /** A request seen on mesh.transitions: fine if it is one the coordinator applied and announced itself. */
    private CompletionStage<Void> announced(CloudEvent event) {
        return orchestrator
                .transactions()
                .inTransaction(store -> store.loggedAmong(List.of(event.getId())))
                .subscribeAsCompletionStage()
                .thenAccept(logged -> {
                    if (!logged.contains(event.getId())) {
                        throw new MalformedEventException(event.getType() + " is taken from " + Streams.COMMANDS
                                + " only, which only its producers may write; on " + Streams.TRANSITIONS
                                + " it is not applied");
                    }
                });
    }

    private static void settle(Message<CloudEvent> message, CompletionStage<?> applied) {
        // The stage is the one the orchestrator completes itself: its failure arrives unwrapped.
        applied.whenComplete((ignored, failure) -> {
            if (failure == null) {
                message.ack();
                return;
            }
            Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            // An unreachable store is waited out without spending the entry's attempts: the event itself is valid.
            Throwable verdict = StoreFailures.isTransient(cause)
                    ? new RetryLaterException("release store unavailable: " + cause.getMessage(), STORE_RETRY_MS)
                    : cause;
            message.nack(verdict);
        });
    }
}
