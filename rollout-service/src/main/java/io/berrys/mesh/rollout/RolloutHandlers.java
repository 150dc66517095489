package io.berrys.mesh.rollout;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.TaskRunner;
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
import java.util.concurrent.CompletionStage;
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
    private final TaskRunner runner;

    public RolloutHandlers(
            RolloutEngine engine,
            ActiveRollouts active,
            RolloutConfig config,
            @Channel("replies") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> replies) {
        this.engine = engine;
        this.active = active;
        this.config = config;
        this.runner = new TaskRunner(
                "rollout",
                new Replies(replies, Marks.SERVICE_NAME),
                Marks.SERVICE_NAME + "@" + hostName(),
                RolloutHandlers::failure);
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
        runner.shutdown();
    }

    private interface Work {
        Outcome run(Reporter reporter) throws Exception;
    }

    /**
     * An unreachable API is retried by the connector, which re-runs the idempotent work; a rollout the cluster
     * refuses fails without moving traffic.
     */
    private CompletionStage<Void> run(CloudEvent command, Work work) {
        return runner.run(command, progress -> finished(command, work.run(new EventReporter(progress))));
    }

    private static TaskRunner.Handling failure(CloudEvent command, Throwable failure) {
        if (failure instanceof RolloutRejected e) {
            return new TaskRunner.Answer(
                    finished(command, Outcome.fail(e.getMessage(), java.util.Map.of("trafficMoved", false))));
        }
        if (failure instanceof KubernetesClientException e) {
            return TaskRunner.retry("Kubernetes API unavailable: " + e.getMessage(), API_RETRY_MS);
        }
        if (failure instanceof InterruptedException) {
            return TaskRunner.retry("stopped while handling", API_RETRY_MS);
        }
        return null;
    }

    private static TaskFinished finished(CloudEvent command, Outcome outcome) {
        return new TaskFinished(Replies.task(command), outcome.result(), outcome.message(), outcome.details());
    }

    private final class EventReporter implements Reporter {
        private final TaskRunner.Progress progress;

        EventReporter(TaskRunner.Progress progress) {
            this.progress = progress;
        }

        @Override
        public void progressed(String step, Integer percent, String message) {
            progress.progressed(step, percent, message);
        }

        @Override
        public void heartbeat(String message) {
            progress.heartbeat(config.heartbeat(), message);
        }

        @Override
        public void command(CloudEvent event) {
            progress.send(event);
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
