package io.berrys.mesh.rollout;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.DecommissionTriggered;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.rollout.engine.ActiveRollouts;
import io.berrys.mesh.rollout.engine.Outcome;
import io.berrys.mesh.rollout.engine.Reporter;
import io.berrys.mesh.rollout.engine.RolloutEngine;
import io.berrys.mesh.rollout.kube.Marks;
import io.berrys.mesh.rollout.kube.RolloutRejected;
import io.cloudevents.CloudEvent;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * The rollout-service's commands: rollouts from {@code mesh.rollout}, rollbacks from {@code mesh.priority} (so they
 * never wait behind rollouts), decommissions from {@code mesh.decommission}, and from {@code mesh.transitions} the
 * verification results and aborts running rollouts wait for. A command is acknowledged once its finished event is
 * written; until then a crash leaves it pending and the connector hands it out again, to resume.
 */
@ApplicationScoped
public class RolloutHandlers {

    private static final Logger LOG = Logger.getLogger(RolloutHandlers.class);
    /** A Kubernetes API that cannot be reached is waited out; the command itself is fine. */
    private static final long API_RETRY_MS = 2_000;

    private final RolloutEngine engine;
    private final ActiveRollouts active;
    private final RolloutConfig config;
    private final Replies replies;
    private final String agent;
    private final java.util.Map<String, CompletableFuture<Void>> running =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final ExecutorService workers = Settlement.workers("rollout");

    public RolloutHandlers(
            RolloutEngine engine,
            ActiveRollouts active,
            RolloutConfig config,
            @Channel("replies") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> replies) {
        this.engine = engine;
        this.active = active;
        this.config = config;
        this.replies = new Replies(replies, Marks.SERVICE_NAME);
        this.agent = Marks.SERVICE_NAME + "@" + hostName();
    }

    @Incoming("rollouts")
    public Uni<Void> rollout(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::rolloutCommand);
    }

    CompletionStage<Void> rolloutCommand(CloudEvent command) {
        RolloutTriggered request = Events.command(command, Task.ROLLOUT, RolloutTriggered.class);
        return run(
                command,
                reporter -> engine.rollout(
                        new RolloutEngine.Command(Events.releaseId(command), command.getId(), request), reporter));
    }

    @Incoming("rollbacks")
    public Uni<Void> rollback(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::rollbackCommand);
    }

    CompletionStage<Void> rollbackCommand(CloudEvent command) {
        long readNanos = System.nanoTime();
        RollbackTriggered request = Events.command(command, Task.ROLLBACK, RollbackTriggered.class);
        return run(
                command,
                reporter -> engine.rollback(
                        Events.releaseId(command),
                        command.getId(),
                        request.environment(),
                        request.service(),
                        request.reason(),
                        readNanos,
                        reporter));
    }

    @Incoming("decommissions")
    public Uni<Void> decommission(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::decommissionCommand);
    }

    CompletionStage<Void> decommissionCommand(CloudEvent command) {
        DecommissionTriggered request = Events.command(command, Task.DECOMMISSION, DecommissionTriggered.class);
        return run(command, reporter -> engine.decommission(request.environment(), request.service()));
    }

    /** Verification results and aborts for rollouts running here; everything else on the stream is not ours. */
    @Incoming("transitions")
    @Blocking(ordered = false)
    public void transition(CloudEvent event) {
        String type = event.getType();
        if (type.equals(Task.VERIFICATION.type(Phase.FINISHED)) && Events.triggeredId(event) != null) {
            TaskFinished finished = Events.payload(event, TaskFinished.class);
            if (!active.verdict(Events.triggeredId(event), finished)) {
                // The rollout waiting for it runs in another replica, or in this one after a restart.
                engine.recordVerdict(Events.triggeredId(event), finished);
            }
        } else if (type.equals(EventType.RELEASE_COMMAND) && Events.releaseId(event) != null) {
            ReleaseCommand command = Events.payload(event, ReleaseCommand.class);
            if (command.command() == ReleaseCommand.Command.ABORT) {
                String reason = "aborted by " + command.requestedBy();
                active.stopRelease(Events.releaseId(event), reason);
                engine.recordAbort(Events.releaseId(event), reason);
            }
        }
    }

    @Scheduled(
            every = "${mesh.rollout.housekeeping-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "5s")
    void housekeeping() {
        try {
            engine.housekeeping();
        } catch (KubernetesClientException e) {
            LOG.warnf("Housekeeping of retired versions failed, next round retries: %s", e.getMessage());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        workers.shutdownNow();
    }

    private interface Work {
        Outcome run(Reporter reporter) throws Exception;
    }

    /**
     * Runs a task on a worker thread: started, the work, finished. Completes (so the entry is acknowledged) only
     * after finished is written; an unreachable API is retried by the connector, which re-runs the idempotent work.
     */
    private CompletionStage<Void> run(CloudEvent command, Work work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<Void> already = running.putIfAbsent(command.getId(), done);
        if (already != null) {
            // Delivered again while still running here (a reclaim after a long pause): one run, one answer.
            return already;
        }
        done.whenComplete((ignored, failure) -> running.remove(command.getId(), done));
        workers.execute(() -> {
            EventReporter reporter = new EventReporter(command);
            try {
                replies.started(command, agent);
                finish(command, work.run(reporter), done);
            } catch (RolloutRejected e) {
                finish(command, Outcome.fail(e.getMessage(), java.util.Map.of("trafficMoved", false)), done);
            } catch (KubernetesClientException e) {
                LOG.warnf("Kubernetes API call failed during %s: %s", command.getType(), e.getMessage());
                done.completeExceptionally(
                        new RetryLaterException("Kubernetes API unavailable: " + e.getMessage(), API_RETRY_MS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.completeExceptionally(new RetryLaterException("stopped while handling", API_RETRY_MS));
            } catch (Exception e) {
                LOG.errorf(e, "Handling %s %s failed", command.getType(), command.getId());
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private void finish(CloudEvent command, Outcome outcome, CompletableFuture<Void> done) {
        LOG.infof("%s %s: %s", command.getType(), outcome.result(), outcome.message());
        replies.finish(
                command,
                new TaskFinished(Replies.task(command), outcome.result(), outcome.message(), outcome.details()),
                done);
    }

    private final class EventReporter implements Reporter {
        private final CloudEvent command;
        private long lastSentNanos = System.nanoTime();

        EventReporter(CloudEvent command) {
            this.command = command;
        }

        @Override
        public void progressed(String step, Integer percent, String message) {
            lastSentNanos = System.nanoTime();
            replies.progressed(command, step, percent, message);
        }

        @Override
        public void heartbeat(String message) {
            if (System.nanoTime() - lastSentNanos >= config.heartbeat().toNanos()) {
                progressed("heartbeat", null, message);
            }
        }

        @Override
        public void command(CloudEvent event) {
            replies.send(event);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
