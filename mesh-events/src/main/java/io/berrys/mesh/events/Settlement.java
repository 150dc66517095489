package io.berrys.mesh.events;

import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Runs a long task for a message and settles the message when the task ends: acknowledged on success, nacked with
 * the failure (a {@link MalformedEventException} dead-letters it, a {@link RetryLaterException} retries it). The
 * {@code @Incoming} method returns at once, so the channel keeps delivering (up to its {@code max-in-flight}) and
 * two tasks run side by side instead of one after the other.
 */
public final class Settlement {

    private Settlement() {}

    /**
     * Threads for long tasks, one per task running (the channel's {@code max-in-flight} bounds how many), named
     * {@code <name>-<n>} and never keeping the JVM alive.
     */
    public static ExecutorService workers(String name) {
        AtomicInteger count = new AtomicInteger();
        return Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    public static Uni<Void> whenDone(Message<CloudEvent> message, Function<CloudEvent, CompletionStage<Void>> task) {
        CompletionStage<Void> done;
        try {
            done = task.apply(message.getPayload());
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((ignored, failure) -> {
            if (failure == null) {
                message.ack();
            } else {
                message.nack(
                        failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure);
            }
        });
        return Uni.createFrom().voidItem();
    }
}
