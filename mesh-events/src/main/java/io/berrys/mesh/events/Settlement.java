package io.berrys.mesh.events;

import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
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

    /** Events whose task runs in this process, by event id. */
    private static final ConcurrentMap<String, CompletableFuture<Void>> RUNNING = new ConcurrentHashMap<>();

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

    /**
     * Runs {@code task} for the message's event and settles the message when it ends. The same event arriving again
     * while it still runs in this process (the coordinator sends a command again when it heard nothing, a reclaim
     * hands an entry back) joins that run instead of starting a second one: one side effect, one answer, and each
     * entry settled by its end.
     */
    public static Uni<Void> whenDone(Message<CloudEvent> message, Function<CloudEvent, CompletionStage<Void>> task) {
        CloudEvent event = message.getPayload();
        CompletableFuture<Void> run = new CompletableFuture<>();
        CompletableFuture<Void> already = RUNNING.putIfAbsent(event.getId(), run);
        CompletionStage<Void> done;
        if (already != null) {
            done = already;
        } else {
            CompletionStage<Void> started;
            try {
                started = task.apply(event);
            } catch (RuntimeException e) {
                started = CompletableFuture.failedFuture(e);
            }
            started.whenComplete((ignored, failure) -> {
                RUNNING.remove(event.getId(), run);
                if (failure == null) {
                    run.complete(null);
                } else {
                    run.completeExceptionally(failure);
                }
            });
            done = run;
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

    /** Whether the event runs in this process right now (for tests and diagnostics). */
    public static boolean running(String eventId) {
        return RUNNING.containsKey(eventId);
    }
}
