package io.berrys.mesh.provisioner.service;

import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.TaskRunner;
import io.berrys.mesh.events.catalog.ProvisionTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.provisioner.service.Runs.Action;
import io.berrys.mesh.provisioner.service.Runs.Run;
import io.berrys.mesh.provisioner.service.Runs.State;
import io.berrys.mesh.provisioner.spec.SpecInvalidException;
import io.cloudevents.CloudEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * {@code mesh.provision.triggered}: a plan, apply, drift check or destroy run as the REST API runs it, its progress
 * lines sent on as {@code mesh.provision.progressed}, its outcome (summary and diff) as {@code finished}. An
 * environment another run is changing is waited for: the command is tried again later.
 */
@ApplicationScoped
public class ProvisionHandlers {

    private static final String SERVICE = Services.PROVISIONER;
    /** Diff lines carried in a finished event; the rest stays in the run (GET .../runs/{id}). */
    static final int DIFF_LINES_IN_EVENT = 200;
    /** Well inside the coordinator's default stage heartbeat (one minute). */
    static final java.time.Duration HEARTBEAT = java.time.Duration.ofSeconds(20);

    private final Runs runs;
    private final TaskRunner runner;

    public ProvisionHandlers(
            Runs runs,
            @Channel("replies") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> replies) {
        this.runs = runs;
        this.runner = new TaskRunner("provision", new Replies(replies, SERVICE), SERVICE);
    }

    @Incoming("provisions")
    public Uni<Void> provision(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::handle);
    }

    CompletionStage<Void> handle(CloudEvent command) {
        ProvisionTriggered request = Events.command(command, Task.PROVISION, ProvisionTriggered.class);
        // Started only once the run has its lease: a command waiting for the environment is not yet running.
        return runner.runStartedByWork(command, progress -> run(request, progress));
    }

    private TaskFinished run(ProvisionTriggered request, TaskRunner.Progress progress) throws InterruptedException {
        Action action = Action.of(request.action()).orElseThrow();
        Run run;
        try {
            var spec = runs.spec(request.environment());
            if (request.provider() != null
                    && !request.provider().isBlank()
                    && !request.provider().equals(spec.provider().name().toLowerCase(Locale.ROOT))) {
                return failed("the command asks for provider '" + request.provider() + "', the spec of "
                        + request.environment() + " says '"
                        + spec.provider().name().toLowerCase(Locale.ROOT) + "'");
            }
            run = runs.start(request.environment(), action, false);
        } catch (SpecInvalidException | Runs.UnknownEnvironmentException e) {
            return failed(e.getMessage());
        } catch (Runs.EnvironmentBusyException e) {
            // An environment another run is changing is waited for.
            throw new RetryLaterException(e.getMessage(), 10_000);
        }
        progress.started();
        int sent = 0;
        while (true) {
            List<String> lines = run.lines(sent);
            for (String line : lines) {
                progress.progressed(action.label(), null, line);
            }
            sent += lines.size();
            // A long wait (an RDS instance, an EKS cluster) still shows the stage is alive.
            progress.heartbeat(HEARTBEAT, "still running " + run.id);
            if (run.state() != State.RUNNING && run.lineCount() == sent) {
                break;
            }
            Thread.sleep(250);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("runId", run.id);
        details.put("environment", run.environment);
        details.put("action", action.label());
        details.put("summary", run.summary());
        details.put("pending", run.pending());
        List<String> diff = new ArrayList<>(run.diff());
        if (diff.size() > DIFF_LINES_IN_EVENT) {
            int more = diff.size() - DIFF_LINES_IN_EVENT;
            diff = new ArrayList<>(diff.subList(0, DIFF_LINES_IN_EVENT));
            diff.add("... " + more + " more: GET /environments/" + run.environment + "/runs/" + run.id);
        }
        details.put("diff", diff);
        String message = action.label() + " " + run.environment + ": " + run.summary();
        if (run.state() == State.FAILED) {
            return new TaskFinished(
                    "provision", Result.FAIL, message + "; " + run.error().orElse("failed"), details);
        }
        return new TaskFinished("provision", Result.PASS, message, details);
    }

    private static TaskFinished failed(String message) {
        return new TaskFinished("provision", Result.FAIL, message, Map.of());
    }

    void stop(@Observes ShutdownEvent event) {
        runner.shutdown();
    }
}
