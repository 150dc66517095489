package io.berrys.mesh.events;

import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.berrys.mesh.events.catalog.TaskStarted;
import io.berrys.mesh.events.redis.OutgoingRedisStreamsMetadata;
import io.cloudevents.CloudEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * How a task's owner answers its command: {@code started}, {@code progressed} and {@code finished}, written through
 * an emitter that routes by type. The ids of {@code started} and {@code finished} derive from the command's, so a
 * command handled twice (delivered again after a crash) answers with the same events, which readers deduplicate.
 */
public final class Replies {

    /** A finished event that could not be written is retried after this long, without using up an attempt. */
    private static final long RETRY_MS = 1_000;

    private final Emitter<CloudEvent> emitter;
    private final String service;

    public Replies(Emitter<CloudEvent> emitter, String service) {
        this.emitter = emitter;
        this.service = service;
    }

    /** Writes any event; completes once the stream has it, fails when it could not be written. */
    public CompletionStage<Void> send(CloudEvent event) {
        return write(Message.of(event));
    }

    /** Writes a release request or command for the coordinator, to {@code mesh.commands}. */
    public CompletionStage<Void> request(CloudEvent event) {
        return write(Message.of(event, Metadata.of(OutgoingRedisStreamsMetadata.asRequest())));
    }

    private CompletionStage<Void> write(Message<CloudEvent> message) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        emitter.send(message.withAck(() -> {
                    written.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(failure -> {
                    written.completeExceptionally(failure);
                    return CompletableFuture.completedFuture(null);
                }));
        return written;
    }

    public CompletionStage<Void> started(CloudEvent command, String agent) {
        return send(Events.replyTo(command, Phase.STARTED, service, new TaskStarted(task(command), agent, null))
                .id(command.getId() + ".started")
                .build());
    }

    public CompletionStage<Void> progressed(CloudEvent command, String step, Integer percent, String message) {
        return send(Events.replyTo(
                        command, Phase.PROGRESSED, service, new TaskProgressed(task(command), step, percent, message))
                .build());
    }

    public CompletionStage<Void> finished(CloudEvent command, TaskFinished finished) {
        return send(Events.replyTo(command, Phase.FINISHED, service, finished)
                .id(command.getId() + ".finished")
                .build());
    }

    /**
     * Writes {@code finished} and then completes {@code done}, which settles the command's entry: it is only
     * acknowledged once its answer is on the stream.
     */
    public void finish(CloudEvent command, TaskFinished finished, CompletableFuture<Void> done) {
        finished(command, finished).whenComplete((ignored, failure) -> {
            if (failure == null) {
                done.complete(null);
            } else {
                done.completeExceptionally(
                        new RetryLaterException("finished not written: " + failure.getMessage(), RETRY_MS));
            }
        });
    }

    /** The task a command is for: {@code rollout} for {@code mesh.rollout.triggered}. */
    public static String task(CloudEvent command) {
        return EventType.parse(command.getType()).task().id();
    }
}
