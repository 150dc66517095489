package io.berrys.mesh.events;

import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import org.jboss.logging.Logger;

/**
 * The lifecycle every task owner follows for a command: on a worker thread of its own, {@code started}, the work
 * with its {@code progressed} events, then {@code finished}; the command's entry is settled only once finished is
 * on the stream. A failure is answered (a finished FAIL), retried later (the command is fine, something it needs
 * is not) or, when nobody knows it, left to the connector, which dead-letters the entry after its attempts. Give
 * {@link #run} to {@link Settlement#whenDone}, which also joins a command delivered again while it runs here.
 */
public final class TaskRunner {

    private static final Logger LOG = Logger.getLogger(TaskRunner.class);

    /** Where a task says how far it is. */
    public interface Progress {

        /** Sends {@code started}, once; {@link #run} has sent it before the work begins. */
        void started();

        void progressed(String step, Integer percent, String message);

        default void progressed(String message) {
            progressed("progress", null, message);
        }

        /**
         * A {@code progressed} of step {@code heartbeat}, only when nothing was sent for {@code every}: a long wait
         * still shows whoever waits for the task that it is alive.
         */
        void heartbeat(Duration every, String message);

        /** Another event the task writes as it goes (a rollout's verification commands). */
        CompletionStage<Void> send(CloudEvent event);
    }

    @FunctionalInterface
    public interface Work {
        TaskFinished run(Progress progress) throws Exception;
    }

    /** What a failure of one owner's work means; null for a failure it does not know. */
    @FunctionalInterface
    public interface Failures {
        Handling handle(CloudEvent command, Throwable failure);
    }

    public sealed interface Handling permits Answer, Retry {}

    /** The task is over: it failed for a reason its finished event gives. */
    public record Answer(TaskFinished finished) implements Handling {}

    /** Something the task needs is unavailable: the command is handed out again after {@code afterMs}. */
    public record Retry(String reason, long afterMs) implements Handling {}

    public static Handling fail(CloudEvent command, String message, Map<String, Object> details) {
        return new Answer(new TaskFinished(Replies.task(command), Result.FAIL, message, details));
    }

    public static Handling retry(String reason, long afterMs) {
        return new Retry(reason, afterMs);
    }

    /** A stopped process hands the command to the next delivery (its own after a restart, or a peer's). */
    private static final long STOPPED_RETRY_MS = 1_000;
    /** The task's buffers are unreachable once it has failed; a later attempt may have the memory. */
    private static final long OUT_OF_MEMORY_RETRY_MS = 5_000;

    private final Replies replies;
    private final String agent;
    private final Failures failures;
    private final ExecutorService workers;

    /**
     * @param name the worker threads' name ({@code <name>-<n>})
     * @param agent who runs the task, as {@code started} names it
     */
    public TaskRunner(String name, Replies replies, String agent, Failures failures) {
        this.replies = replies;
        this.agent = agent;
        this.failures = failures;
        this.workers = Settlement.workers(name);
    }

    public TaskRunner(String name, Replies replies, String agent) {
        this(name, replies, agent, (command, failure) -> null);
    }

    /** Starts the work on a worker; the stage completes when the command may be settled, as above. */
    public CompletionStage<Void> run(CloudEvent command, Work work) {
        return run(command, work, true);
    }

    /**
     * As {@link #run}, for a task that first checks whether it can start at all: it sends {@code started} itself
     * ({@link Progress#started}). A command refused before that is answered with {@code finished} alone, and one
     * that must wait (retried later) has not told its waiter that it runs.
     */
    public CompletionStage<Void> runStartedByWork(CloudEvent command, Work work) {
        return run(command, work, false);
    }

    private CompletionStage<Void> run(CloudEvent command, Work work, boolean startFirst) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        workers.execute(() -> {
            try {
                EventProgress progress = new EventProgress(command);
                if (startFirst) {
                    progress.started();
                }
                finish(command, work.run(progress), done);
            } catch (Throwable failure) {
                failed(command, failure, done);
            }
        });
        return done;
    }

    private void failed(CloudEvent command, Throwable failure, CompletableFuture<Void> done) {
        if (failure instanceof RetryLaterException retry) {
            LOG.infof("%s %s is tried again later: %s", command.getType(), command.getId(), retry.getMessage());
            done.completeExceptionally(retry);
            return;
        }
        Handling handling;
        try {
            handling = failures.handle(command, failure);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            handling = null;
        }
        if (handling instanceof Answer answer) {
            finish(command, answer.finished(), done);
        } else if (handling instanceof Retry retry) {
            LOG.warnf(
                    "%s %s is tried again in %d ms: %s",
                    command.getType(), command.getId(), retry.afterMs(), retry.reason());
            done.completeExceptionally(new RetryLaterException(retry.reason(), retry.afterMs()));
        } else if (failure instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            done.completeExceptionally(new RetryLaterException("stopped while handling", STOPPED_RETRY_MS));
        } else if (failure instanceof OutOfMemoryError) {
            // Answering nothing would leave the release to the coordinator's heartbeat timeout.
            LOG.errorf("Out of memory during %s %s; it is retried", command.getType(), command.getId());
            done.completeExceptionally(
                    new RetryLaterException("out of memory: " + failure.getMessage(), OUT_OF_MEMORY_RETRY_MS));
        } else {
            LOG.errorf(failure, "Handling %s %s failed", command.getType(), command.getId());
            done.completeExceptionally(failure);
        }
    }

    private void finish(CloudEvent command, TaskFinished finished, CompletableFuture<Void> done) {
        // The subject names what the task was for (an environment and service, a database).
        LOG.infof(
                "%s%s %s: %s",
                command.getType(),
                command.getSubject() == null ? "" : " (" + command.getSubject() + ")",
                finished.result(),
                finished.message());
        replies.finish(command, finished, done);
    }

    /** Stops the workers; a task cut short is handed out again by the connector. */
    public void shutdown() {
        workers.shutdownNow();
    }

    private final class EventProgress implements Progress {
        private final CloudEvent command;
        private volatile long lastSentNanos = System.nanoTime();
        private final java.util.concurrent.atomic.AtomicBoolean started =
                new java.util.concurrent.atomic.AtomicBoolean();

        EventProgress(CloudEvent command) {
            this.command = command;
        }

        @Override
        public void started() {
            if (started.compareAndSet(false, true)) {
                lastSentNanos = System.nanoTime();
                replies.started(command, agent);
            }
        }

        @Override
        public void progressed(String step, Integer percent, String message) {
            lastSentNanos = System.nanoTime();
            replies.progressed(command, step, percent, message);
        }

        @Override
        public void heartbeat(Duration every, String message) {
            if (System.nanoTime() - lastSentNanos >= every.toNanos()) {
                progressed("heartbeat", null, message);
            }
        }

        @Override
        public CompletionStage<Void> send(CloudEvent event) {
            return replies.send(event);
        }
    }
}
