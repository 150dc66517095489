package io.berrys.mesh.rollout.engine;

import static io.berrys.mesh.rollout.kube.Marks.Phase.BAKING;
import static io.berrys.mesh.rollout.kube.Marks.Phase.PREPARING;
import static io.berrys.mesh.rollout.kube.Marks.Phase.PROMOTED;
import static io.berrys.mesh.rollout.kube.Marks.Phase.ROLLED_BACK;
import static io.berrys.mesh.rollout.kube.Marks.Phase.SHIFTING;
import static io.berrys.mesh.rollout.kube.Marks.Phase.SMOKE_TESTING;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.VerificationTriggered;
import io.berrys.mesh.rollout.RolloutConfig;
import io.berrys.mesh.rollout.kube.Cluster;
import io.berrys.mesh.rollout.kube.Marks;
import io.berrys.mesh.rollout.kube.RolloutRejected;
import io.berrys.mesh.rollout.router.RouteTarget;
import io.berrys.mesh.rollout.router.Routers;
import io.berrys.mesh.rollout.router.TrafficRouter;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpecBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Blue-green rollouts, rollbacks and decommissions on Kubernetes. Each rollout writes its phase to the new
 * Deployment's annotations before taking a step, and every step is safe to take twice: a command delivered again
 * after a crash resumes from the phase it finds.
 */
@ApplicationScoped
public class RolloutEngine {

    private static final Logger LOG = Logger.getLogger(RolloutEngine.class);
    static final String PREVIEW_SUFFIX = "-preview";

    private final Cluster cluster;
    private final Routers routers;
    private final Environments environments;
    private final SmokeTests smokeTests;
    private final ActiveRollouts active;
    private final RolloutConfig config;

    public RolloutEngine(
            Cluster cluster,
            Routers routers,
            Environments environments,
            SmokeTests smokeTests,
            ActiveRollouts active,
            RolloutConfig config) {
        this.cluster = cluster;
        this.routers = routers;
        this.environments = environments;
        this.smokeTests = smokeTests;
        this.active = active;
        this.config = config;
    }

    /** The command of one rollout, as the engine needs it. */
    public record Command(String releaseId, String triggeredId, RolloutTriggered request) {}

    // ---------------------------------------------------------------------------------------------- rollout

    public Outcome rollout(Command command, Reporter reporter) throws InterruptedException {
        RolloutTriggered request = command.request();
        Environments.Settings settings = environments.of(request.environment());
        String namespace = settings.namespace();
        String service = request.service();
        List<Deployment> deployments = cluster.deploymentsOf(namespace, service);
        Optional<Deployment> resumed = deployments.stream()
                .filter(deployment -> command.triggeredId().equals(annotation(deployment, Marks.TRIGGERED_ID)))
                .findFirst();

        Deployment green;
        Deployment blue;
        if (resumed.isPresent()) {
            green = resumed.get();
            Marks.Phase phase = phase(green);
            if (phase == null || !phase.inFlight()) {
                return recordedOutcome(green, phase);
            }
            String replaces = annotation(green, Marks.REPLACES);
            blue = cluster.deployment(namespace, replaces)
                    .orElseThrow(() -> new RolloutRejected(
                            "the live Deployment " + replaces + " of " + service + " disappeared during the rollout"));
            LOG.infof(
                    "Resuming the rollout of %s %s in %s at phase %s",
                    service, request.version(), namespace, phase.wire());
            reporter.progressed("resumed", null, "resumed at " + phase.wire() + " after a restart");
        } else {
            blue = live(namespace, service, deployments);
            green = null;
        }

        String blueColour = colourOf(blue);
        String greenColour = otherColour(blueColour);
        String greenName = service + "-" + greenColour;
        if (greenName.equals(blue.getMetadata().getName())) {
            throw new RolloutRejected("the live Deployment " + greenName + " is labelled " + Marks.COLOUR + "="
                    + blueColour + ", so the new version would need its own name; relabel it " + greenColour);
        }
        Service stable = cluster.service(namespace, service)
                .orElseThrow(() -> new RolloutRejected("there is no Service " + service + " in namespace " + namespace
                        + "; a blue-green rollout needs the Service the traffic arrives through"));
        String routerName = green == null ? settings.router() : annotation(green, Marks.ROUTER);
        TrafficRouter router = routers.named(routerName);
        RouteTarget target = new RouteTarget(namespace, service, blueColour, greenColour);
        router.verify(target);
        if (stable.getSpec().getPorts() == null || stable.getSpec().getPorts().isEmpty()) {
            throw new RolloutRejected("the Service " + service + " in namespace " + namespace + " has no ports");
        }
        if (!request.trafficSteps().isEmpty()) {
            Environments.validateSteps(request.environment(), request.trafficSteps());
        }

        if (green == null) {
            green = prepareGreen(command, blue, greenName, greenColour, routerName);
            reporter.progressed(
                    "green-created",
                    null,
                    "created " + greenName + " with " + request.image() + " next to "
                            + blue.getMetadata().getName());
        }
        cluster.ensureColourService(namespace, target.colourService(blueColour), service, blueColour, stable);
        cluster.ensureColourService(namespace, target.colourService(greenColour), service, greenColour, stable);
        cluster.ensureColourService(namespace, service + PREVIEW_SUFFIX, service, greenColour, stable);

        ActiveRollouts.Signal signal = active.register(namespace, service, command.releaseId());
        Run run = new Run(command, settings, router, target, blue, greenName, stable, reporter, signal);
        try {
            return run.drive(phase(green));
        } catch (RolloutRejected e) {
            return run.rejected(e.getMessage());
        } finally {
            active.unregister(namespace, service, signal);
        }
    }

    /** The Deployment serving traffic now: the one marked active, or the only one of the service. */
    private Deployment live(String namespace, String service, List<Deployment> deployments) {
        if (deployments.isEmpty()) {
            throw new RolloutRejected("no Deployment labelled " + Marks.APP + "=" + service + " in namespace "
                    + namespace + ": there is no live version to roll out from");
        }
        List<Deployment> marked = deployments.stream()
                .filter(deployment -> "true".equals(annotation(deployment, Marks.ACTIVE)))
                .toList();
        if (marked.size() == 1) {
            return marked.get(0);
        }
        List<Deployment> unmanaged = deployments.stream()
                .filter(deployment -> labels(deployment).get(Marks.MANAGED) == null)
                .toList();
        if (marked.isEmpty() && unmanaged.size() == 1) {
            return unmanaged.get(0);
        }
        throw new RolloutRejected("cannot tell which of the Deployments of " + service + " in namespace " + namespace
                + " is live (" + names(deployments) + "); annotate it " + Marks.ACTIVE + "=true");
    }

    private Deployment prepareGreen(
            Command command, Deployment blue, String greenName, String greenColour, String routerName) {
        RolloutTriggered request = command.request();
        String namespace = blue.getMetadata().getNamespace();
        String service = request.service();
        String blueColour = colourOf(blue);
        // Marked first: from now on the live version is known even with two Deployments of the service.
        cluster.annotate(namespace, blue.getMetadata().getName(), Map.of(Marks.ACTIVE, "true"));
        // A selector without the colour would send traffic to the new pods the moment they start.
        cluster.pinStableService(namespace, service, blueColour);

        // Older versions of the new colour (kept warm or retired) would join its Services: a new rollout ends
        // their rollback window.
        for (Deployment other : cluster.deploymentsOf(namespace, service)) {
            String name = other.getMetadata().getName();
            if (!name.equals(blue.getMetadata().getName()) && greenColour.equals(colourOf(other, null))) {
                LOG.infof(
                        "Removing %s (%s) before %s takes its colour",
                        name, annotation(other, Marks.VERSION), greenName);
                cluster.deleteDeployment(namespace, name);
            }
        }

        Container original = containerToUpdate(blue, service);
        Map<String, String> selector =
                new HashMap<>(blue.getSpec().getSelector().getMatchLabels());
        selector.put(Marks.COLOUR, greenColour);
        Map<String, String> podLabels =
                new HashMap<>(blue.getSpec().getTemplate().getMetadata().getLabels());
        podLabels.put(Marks.COLOUR, greenColour);
        podLabels.put(Marks.VERSION, labelValue(request.version()));

        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(Marks.RELEASE_ID, String.valueOf(command.releaseId()));
        annotations.put(Marks.TRIGGERED_ID, command.triggeredId());
        annotations.put(Marks.VERSION, request.version());
        annotations.put(Marks.PHASE, PREPARING.wire());
        annotations.put(Marks.WEIGHT, "0");
        annotations.put(Marks.REPLACES, blue.getMetadata().getName());
        annotations.put(Marks.ROUTER, routerName);
        annotations.put(Marks.PREVIOUS_IMAGE, original.getImage());
        annotations.put(
                Marks.PREVIOUS_VERSION,
                Optional.ofNullable(annotation(blue, Marks.VERSION)).orElse(imageTag(original.getImage())));

        Deployment green = new DeploymentBuilder()
                .withNewMetadata()
                .withName(greenName)
                .withNamespace(namespace)
                .addToLabels(Optional.ofNullable(blue.getMetadata().getLabels()).orElse(Map.of()))
                .addToLabels(Marks.APP, service)
                .addToLabels(Marks.COLOUR, greenColour)
                .addToLabels(Marks.MANAGED, Marks.SERVICE_NAME)
                .addToAnnotations(annotations)
                .endMetadata()
                .withSpec(new DeploymentSpecBuilder(blue.getSpec())
                        .withReplicas(Optional.ofNullable(blue.getSpec().getReplicas())
                                .orElse(1))
                        .editSelector()
                        .withMatchLabels(selector)
                        .endSelector()
                        .editTemplate()
                        .editMetadata()
                        .withLabels(podLabels)
                        .endMetadata()
                        .endTemplate()
                        .build())
                .build();
        green.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(container -> container.getName().equals(original.getName()))
                .forEach(container -> container.setImage(request.image()));
        return cluster.create(green);
    }

    /** The container named after the service, else the first one. */
    private static Container containerToUpdate(Deployment blue, String service) {
        List<Container> containers = blue.getSpec().getTemplate().getSpec().getContainers();
        if (containers == null || containers.isEmpty()) {
            throw new RolloutRejected("the Deployment " + blue.getMetadata().getName() + " has no containers");
        }
        return containers.stream()
                .filter(container -> service.equals(container.getName()))
                .findFirst()
                .orElse(containers.get(0));
    }

    /** One rollout in progress: the phases from wherever it stands to promoted, failed or rolled back. */
    private final class Run {
        private final Command command;
        private final Environments.Settings settings;
        private final TrafficRouter router;
        private final RouteTarget target;
        private final Deployment blue;
        private final String greenName;
        private final Service stable;
        private final Reporter reporter;
        private final ActiveRollouts.Signal signal;
        private final String namespace;
        private boolean trafficMoved;

        Run(
                Command command,
                Environments.Settings settings,
                TrafficRouter router,
                RouteTarget target,
                Deployment blue,
                String greenName,
                Service stable,
                Reporter reporter,
                ActiveRollouts.Signal signal) {
            this.command = command;
            this.settings = settings;
            this.router = router;
            this.target = target;
            this.blue = blue;
            this.greenName = greenName;
            this.stable = stable;
            this.reporter = reporter;
            this.signal = signal;
            this.namespace = target.namespace();
        }

        Outcome drive(Marks.Phase from) throws InterruptedException {
            Marks.Phase phase = from;
            trafficMoved = phase == SHIFTING || phase == BAKING;
            while (true) {
                Outcome stopped = stopIfAsked();
                if (stopped != null) {
                    return stopped;
                }
                switch (phase) {
                    case PREPARING -> {
                        Outcome failed = awaitAvailable();
                        if (failed != null) {
                            return failed;
                        }
                        phase = enter(SMOKE_TESTING);
                    }
                    case SMOKE_TESTING -> {
                        Outcome failed = smokeTest();
                        if (failed != null) {
                            return failed;
                        }
                        phase = enter(SHIFTING);
                    }
                    case SHIFTING -> {
                        Outcome failed = shift();
                        if (failed != null) {
                            return failed;
                        }
                        phase = enter(BAKING);
                    }
                    case BAKING -> {
                        return bakeAndPromote();
                    }
                    default -> throw new IllegalStateException("not a phase in flight: " + phase);
                }
            }
        }

        /** Moves green to the next phase, unless a rollback got there first (the loop then stops on its own). */
        private Marks.Phase enter(Marks.Phase phase) {
            cluster.editDeployment(namespace, greenName, deployment -> {
                if (phase(deployment) != ROLLED_BACK) {
                    Cluster.putAnnotations(deployment, Map.of(Marks.PHASE, phase.wire()));
                }
                return deployment;
            });
            return phase;
        }

        private Outcome awaitAvailable() throws InterruptedException {
            long deadline = System.nanoTime() + config.readyTimeout().toNanos();
            reporter.progressed("green-starting", null, "waiting for " + greenName + " to become available");
            while (true) {
                Deployment green = cluster.deployment(namespace, greenName).orElse(null);
                if (green == null) {
                    return Outcome.fail(greenName + " was deleted while it was starting", details());
                }
                int wanted = Optional.ofNullable(green.getSpec().getReplicas()).orElse(1);
                int available = green.getStatus() == null
                        ? 0
                        : Optional.ofNullable(green.getStatus().getAvailableReplicas())
                                .orElse(0);
                if (available >= wanted) {
                    reporter.progressed(
                            "green-ready", null, greenName + " is available (" + available + "/" + wanted + ")");
                    return null;
                }
                boolean deadlineExceeded = System.nanoTime() > deadline || progressDeadlineExceeded(green);
                if (deadlineExceeded) {
                    List<String> problems = cluster.podProblems(green);
                    removeGreen();
                    return Outcome.fail(
                            greenName + " did not become available within " + describe(config.readyTimeout()) + " ("
                                    + available + "/" + wanted + " available): " + String.join("; ", problems)
                                    + "; removed it, traffic never moved",
                            details());
                }
                reporter.heartbeat("waiting for " + greenName + ": " + available + "/" + wanted + " available");
                if (signal.awaitStop(config.pollInterval().toMillis()) || abortRecorded() != null) {
                    return stopIfAsked();
                }
            }
        }

        private Outcome smokeTest() throws InterruptedException {
            int port = stable.getSpec().getPorts().get(0).getPort();
            String baseUrl = smokeTests.baseUrl(namespace, target.service(), port);
            reporter.progressed("smoke-tests", null, "smoke tests against " + baseUrl);
            List<String> failures = smokeTests.run(baseUrl);
            if (failures.isEmpty()) {
                reporter.progressed("smoke-passed", null, smokeTests.checks().size() + " smoke checks passed");
                return null;
            }
            removeGreen();
            return Outcome.fail(
                    "smoke tests of " + greenName + " failed: " + String.join("; ", failures)
                            + "; removed it, traffic never moved",
                    details());
        }

        private Outcome shift() throws InterruptedException {
            List<Integer> steps = router.gradual()
                    ? Environments.validateSteps(
                            command.request().environment(),
                            command.request().trafficSteps().isEmpty()
                                    ? settings.steps()
                                    : command.request().trafficSteps())
                    : List.of(100);
            Deployment green = cluster.deployment(namespace, greenName).orElseThrow();
            if (annotation(green, Marks.RESTARTS_BASELINE) == null) {
                int restarts = cluster.podsOf(green).stream()
                        .mapToInt(Cluster::restarts)
                        .sum();
                cluster.annotate(namespace, greenName, Map.of(Marks.RESTARTS_BASELINE, Integer.toString(restarts)));
            }
            int current = router.weight(target);
            trafficMoved |= current > 0;
            for (int step : steps) {
                if (step < current) {
                    continue;
                }
                if (current > 0 && step > current && !settings.stepChecks().isEmpty()) {
                    Outcome failed = verifyStep(current);
                    if (failed != null) {
                        return failed;
                    }
                }
                Outcome stopped = stopIfAsked();
                if (stopped != null) {
                    return stopped;
                }
                if (step != current || annotationWeight() != step) {
                    router.setWeight(target, step);
                    cluster.annotate(namespace, greenName, Map.of(Marks.WEIGHT, Integer.toString(step)));
                    if (abortRecorded() != null && signal.trafficRestored()) {
                        // A rollback restored traffic between the check above and this step: restore it again.
                        router.restore(target);
                        return stopIfAsked();
                    }
                }
                trafficMoved = true;
                current = step;
                reporter.progressed(
                        "traffic-" + step,
                        step,
                        step + " % of traffic on " + greenName + " ("
                                + command.request().version() + ") through the " + router.name() + " router");
                if (step < 100 && pause(settings.stepPause(), step + " % on " + greenName)) {
                    return stopIfAsked();
                }
            }
            return null;
        }

        private int annotationWeight() {
            return cluster.deployment(namespace, greenName)
                    .map(deployment -> annotation(deployment, Marks.WEIGHT))
                    .map(RolloutEngine::parseIntOrZero)
                    .orElse(0);
        }

        /** Asks the verification owner to judge the current step and waits for its answer. */
        private Outcome verifyStep(int percent) throws InterruptedException {
            String id = command.triggeredId() + ".verify-" + percent + "-"
                    + UUID.randomUUID().toString().substring(0, 8);
            CompletableFuture<TaskFinished> verdict = active.expectVerdict(id);
            try {
                reporter.command(Events.of(
                                Task.VERIFICATION.type(Phase.TRIGGERED),
                                Marks.SERVICE_NAME,
                                new VerificationTriggered(
                                        command.request().environment(),
                                        target.service(),
                                        settings.stepChecks(),
                                        null,
                                        percent))
                        .id(id)
                        .releaseId(command.releaseId())
                        .causationId(command.triggeredId())
                        .subject(command.request().environment() + "/" + target.service())
                        .build());
                reporter.progressed("verifying-" + percent, percent, "waiting for verification at " + percent + " %");
                long deadline = System.nanoTime() + config.stepCheckTimeout().toNanos();
                while (true) {
                    try {
                        TaskFinished finished = verdictRecorded(id)
                                .orElseGet(() ->
                                        await(verdict, config.pollInterval().toMillis()));
                        if (finished.result() == Result.FAIL) {
                            return rollBack(
                                    "verification at " + percent + " % failed: " + finished.message(),
                                    System.nanoTime());
                        }
                        reporter.progressed(
                                "verified-" + percent,
                                percent,
                                "verification at " + percent + " % "
                                        + finished.result().name().toLowerCase() + ": " + finished.message());
                        return null;
                    } catch (VerdictPending e) {
                        Outcome stopped = stopIfAsked();
                        if (stopped != null) {
                            return stopped;
                        }
                        if (System.nanoTime() > deadline) {
                            return rollBack(
                                    "no verification result at " + percent + " % within "
                                            + describe(config.stepCheckTimeout()),
                                    System.nanoTime());
                        }
                        reporter.heartbeat("waiting for verification at " + percent + " %");
                    }
                }
            } finally {
                active.forgetVerdict(id);
            }
        }

        /** A verdict another replica received and wrote on green ({@link RolloutEngine#recordVerdict}). */
        private Optional<TaskFinished> verdictRecorded(String id) {
            return cluster.deployment(namespace, greenName)
                    .map(deployment -> annotation(deployment, Marks.STEP_VERDICTS))
                    .filter(recorded -> recorded.startsWith(id + "\n"))
                    .map(recorded -> {
                        String[] parts = recorded.split("\n", 3);
                        return new TaskFinished(
                                "verification", Result.valueOf(parts[1]), parts.length > 2 ? parts[2] : "", Map.of());
                    });
        }

        private Outcome bakeAndPromote() throws InterruptedException {
            String warning = null;
            Duration bake = config.bake().duration();
            if (!bake.isZero()) {
                reporter.progressed("baking", 100, "watching " + greenName + " at full traffic for " + describe(bake));
                int baseline = cluster.deployment(namespace, greenName)
                        .map(deployment -> annotation(deployment, Marks.RESTARTS_BASELINE))
                        .map(RolloutEngine::parseIntOrZero)
                        .orElse(0);
                long deadline = System.nanoTime() + bake.toNanos();
                while (System.nanoTime() < deadline) {
                    String problem = bakeProblem(baseline);
                    if (problem != null) {
                        if ("warning".equals(config.bake().onFailure())) {
                            warning = problem;
                            break;
                        }
                        return rollBack(problem, System.nanoTime());
                    }
                    if (pause(config.pollInterval(), "baking " + greenName)) {
                        return stopIfAsked();
                    }
                }
            }
            return promote(warning);
        }

        private String bakeProblem(int baseline) {
            Deployment green = cluster.deployment(namespace, greenName).orElse(null);
            if (green == null) {
                return greenName + " was deleted during the bake";
            }
            List<Pod> pods = cluster.podsOf(green);
            if (pods.isEmpty()) {
                return "no pods of " + greenName + " are running during the bake";
            }
            int restarts = pods.stream().mapToInt(Cluster::restarts).sum();
            if (restarts > baseline) {
                return "pods of " + greenName + " restarted " + (restarts - baseline) + " times during the bake";
            }
            List<String> unready = pods.stream()
                    .filter(pod -> !Cluster.isReady(pod))
                    .map(pod -> pod.getMetadata().getName())
                    .toList();
            if (!unready.isEmpty()) {
                return "pods of " + greenName + " not ready during the bake: " + String.join(", ", unready);
            }
            return null;
        }

        /**
         * Blue is demoted first and green marked promoted (with its outcome) last, in one write: after a crash in
         * between, the rollout is still baking, and the command delivered again promotes it again.
         */
        private Outcome promote(String warning) {
            Instant warmUntil = Instant.now().plus(settings.rollbackWindow());
            String blueName = blue.getMetadata().getName();
            cluster.editDeployment(namespace, blueName, deployment -> {
                Cluster.putAnnotations(
                        deployment, Map.of(Marks.ACTIVE, "false", Marks.WARM_UNTIL, warmUntil.toString()));
                Cluster.putLabels(deployment, Map.of(Marks.MANAGED, Marks.SERVICE_NAME));
                return deployment;
            });
            router.promote(target);
            cluster.pinStableService(namespace, target.service(), target.to());
            Map<String, Object> details = details();
            details.put("active", greenName);
            details.put("warmUntil", warmUntil.toString());
            String message = command.request().version() + " of " + target.service() + " is live on " + greenName + "; "
                    + blueName + " stays warm until " + warmUntil + " for an instant rollback";
            Outcome outcome = warning == null
                    ? Outcome.pass(message, details)
                    : Outcome.warning(message + "; but " + warning, details);
            Map<String, String> promoted = new HashMap<>();
            promoted.put(Marks.PHASE, PROMOTED.wire());
            promoted.put(Marks.WEIGHT, "100");
            promoted.put(Marks.ACTIVE, "true");
            promoted.put(Marks.OUTCOME, summary(outcome));
            cluster.annotate(namespace, greenName, promoted);
            return outcome;
        }

        /** Waits, with heartbeats; returns true when the rollout was told to stop meanwhile. */
        private boolean pause(Duration duration, String what) throws InterruptedException {
            long deadline = System.nanoTime() + duration.toNanos();
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                if (signal.awaitStop(Math.min(left, config.heartbeat().toMillis())) || abortRecorded() != null) {
                    return true;
                }
                reporter.heartbeat(what);
            }
        }

        private Outcome stopIfAsked() {
            String reason = signal.stopReason();
            if (reason == null) {
                reason = abortRecorded();
            }
            if (reason == null) {
                return null;
            }
            if (signal.trafficRestored()) {
                Map<String, Object> details = details();
                Outcome outcome = Outcome.fail("stopped: " + reason, details);
                return outcome;
            }
            return rollBack(reason, System.nanoTime());
        }

        /** An abort that reached another replica, or this one before the rollout resumed, is kept on green. */
        private String abortRecorded() {
            Deployment green = cluster.deployment(namespace, greenName).orElse(null);
            if (green == null) {
                signal.stop(greenName + " was deleted", true);
                return signal.stopReason();
            }
            if (phase(green) == ROLLED_BACK) {
                // Another replica rolled back: traffic is on blue already.
                signal.stop(Optional.ofNullable(annotation(green, Marks.ABORT)).orElse("rolled back"), true);
                return signal.stopReason();
            }
            String reason = annotation(green, Marks.ABORT);
            if (reason != null) {
                signal.stop(reason, false);
            }
            return reason;
        }

        /** The cluster turned out unusable mid-rollout: undo what was done, and say whether traffic had moved. */
        Outcome rejected(String reason) {
            if (trafficMoved) {
                return rollBack(reason, System.nanoTime());
            }
            removeGreen();
            return Outcome.fail(reason + "; removed " + greenName + ", traffic never moved", details());
        }

        /** Traffic back to blue first (one call), then green scaled down; the outcome says how long it took. */
        private Outcome rollBack(String reason, long startedNanos) {
            router.restore(target);
            long restoredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
            cluster.pinStableService(namespace, target.service(), target.from());
            retire(namespace, greenName);
            Map<String, Object> details = details();
            details.put("trafficRestoredMs", restoredMs);
            Outcome outcome = Outcome.fail(
                    reason + "; traffic back on " + blue.getMetadata().getName() + " in " + restoredMs + " ms, "
                            + greenName + " scaled to zero",
                    details);
            record(outcome);
            return outcome;
        }

        private void removeGreen() {
            cluster.deleteDeployment(namespace, greenName);
            cluster.deleteService(namespace, target.service() + PREVIEW_SUFFIX);
        }

        private Map<String, Object> details() {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("trafficMoved", trafficMoved);
            details.put("router", router.name());
            details.put("green", greenName);
            details.put("blue", blue.getMetadata().getName());
            return details;
        }

        private void record(Outcome outcome) {
            cluster.deployment(namespace, greenName)
                    .ifPresent(
                            ignored -> cluster.annotate(namespace, greenName, Map.of(Marks.OUTCOME, summary(outcome))));
        }
    }

    /** A rolled-back or failed version: no traffic, no replicas, deleted once its retention has passed. */
    private void retire(String namespace, String name) {
        cluster.editDeployment(namespace, name, deployment -> {
            Cluster.putAnnotations(
                    deployment,
                    Map.of(
                            Marks.PHASE,
                            ROLLED_BACK.wire(),
                            Marks.WEIGHT,
                            "0",
                            Marks.ACTIVE,
                            "false",
                            Marks.WARM_UNTIL,
                            Instant.now().toString()));
            deployment.getSpec().setReplicas(0);
            return deployment;
        });
    }

    /** The verdict, or a TimeoutException (unchecked here) when none came within {@code millis}. */
    private static TaskFinished await(CompletableFuture<TaskFinished> verdict, long millis) {
        try {
            return verdict.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new VerdictPending();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VerdictPending();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private static final class VerdictPending extends RuntimeException {
        VerdictPending() {
            super(null, null, false, false);
        }
    }

    /**
     * A step verification's result that reached this replica while the rollout runs elsewhere (or waits in a
     * restarted service): written on the rollout's Deployment, where its step loop reads it.
     */
    public void recordVerdict(String verificationId, TaskFinished finished) {
        int marker = verificationId.indexOf(".verify-");
        if (marker < 0) {
            return;
        }
        String rolloutCommand = verificationId.substring(0, marker);
        for (Deployment deployment : cluster.managedDeployments()) {
            Marks.Phase phase = phase(deployment);
            if (phase != null
                    && phase.inFlight()
                    && rolloutCommand.equals(annotation(deployment, Marks.TRIGGERED_ID))) {
                String message = finished.message().length() > 2000
                        ? finished.message().substring(0, 2000) + "…"
                        : finished.message();
                cluster.annotate(
                        deployment.getMetadata().getNamespace(),
                        deployment.getMetadata().getName(),
                        Map.of(
                                Marks.STEP_VERDICTS,
                                verificationId + "\n" + finished.result().name() + "\n" + message));
            }
        }
    }

    private static int parseIntOrZero(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String summary(Outcome outcome) {
        String message = outcome.result().name().toLowerCase() + ": " + outcome.message();
        return message.length() > 1000 ? message.substring(0, 1000) + "…" : message;
    }

    /** A redelivered command for a rollout that already ended answers as it did the first time. */
    private static Outcome recordedOutcome(Deployment green, Marks.Phase phase) {
        String recorded = annotation(green, Marks.OUTCOME);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("green", green.getMetadata().getName());
        details.put("trafficMoved", phase == PROMOTED || phase == ROLLED_BACK);
        if (recorded != null && recorded.startsWith("pass: ")) {
            return Outcome.pass(recorded.substring(6), details);
        }
        if (recorded != null && recorded.startsWith("warning: ")) {
            return Outcome.warning(recorded.substring(9), details);
        }
        if (recorded != null && recorded.startsWith("fail: ")) {
            return Outcome.fail(recorded.substring(6), details);
        }
        return phase == PROMOTED
                ? Outcome.pass(green.getMetadata().getName() + " is already promoted", details)
                : Outcome.fail("this rollout already ended (" + phase + ")", details);
    }

    // --------------------------------------------------------------------------------------------- rollback

    /**
     * Rolls a service back: a rollout in flight, or a promoted one whose previous version is still warm, gets its
     * traffic back in one call; after the window the previous version is redeployed through the normal path.
     */
    public Outcome rollback(
            String releaseId,
            String triggeredId,
            String environment,
            String service,
            String reason,
            long readNanos,
            Reporter reporter)
            throws InterruptedException {
        // One rollback of a service at a time in this replica: the monitor's and the coordinator's often arrive
        // together, and the second should find the first's work done rather than race it.
        java.util.concurrent.locks.ReentrantLock lock = rollbackLocks.computeIfAbsent(
                environment + "/" + service, key -> new java.util.concurrent.locks.ReentrantLock());
        lock.lockInterruptibly();
        try {
            return rollbackAlone(releaseId, triggeredId, environment, service, reason, readNanos, reporter);
        } finally {
            lock.unlock();
        }
    }

    private final java.util.Map<String, java.util.concurrent.locks.ReentrantLock> rollbackLocks =
            new java.util.concurrent.ConcurrentHashMap<>();

    private Outcome rollbackAlone(
            String releaseId,
            String triggeredId,
            String environment,
            String service,
            String reason,
            long readNanos,
            Reporter reporter)
            throws InterruptedException {
        Environments.Settings settings = environments.of(environment);
        String namespace = settings.namespace();
        List<Deployment> deployments = cluster.deploymentsOf(namespace, service);

        Optional<Deployment> inFlight = deployments.stream()
                .filter(deployment -> {
                    Marks.Phase phase = phase(deployment);
                    return phase != null && phase.inFlight();
                })
                .findFirst();
        if (inFlight.isPresent()) {
            Deployment green = inFlight.get();
            Deployment blue = cluster.deployment(namespace, annotation(green, Marks.REPLACES))
                    .orElseThrow(() -> new RolloutRejected("the previous version " + annotation(green, Marks.REPLACES)
                            + " of " + service + " is gone; nothing to send traffic back to"));
            RouteTarget target = new RouteTarget(namespace, service, colourOf(blue), colourOf(green));
            return restore(target, routers.named(annotation(green, Marks.ROUTER)), blue, green, reason, readNanos);
        }

        // A release already rolled back (a rollout that failed after moving traffic sent it back itself, or an
        // earlier rollback): the coordinator's or the monitor's follow-up finds the work done, and must not roll
        // the version that is live now back as well.
        Optional<Deployment> rolledBack = releaseId == null
                ? Optional.empty()
                : deployments.stream()
                        .filter(deployment -> phase(deployment) == ROLLED_BACK)
                        .filter(deployment -> releaseId.equals(annotation(deployment, Marks.RELEASE_ID)))
                        .findFirst();
        if (rolledBack.isPresent()) {
            Deployment green = rolledBack.get();
            String live = deployments.stream()
                    .filter(deployment -> "true".equals(annotation(deployment, Marks.ACTIVE)))
                    .map(deployment -> deployment.getMetadata().getName())
                    .findFirst()
                    .orElse(annotation(green, Marks.REPLACES));
            return Outcome.pass(
                    "already rolled back: traffic is on " + live + " and "
                            + green.getMetadata().getName() + " is scaled to zero",
                    Map.of("active", String.valueOf(live), "trafficRestoredMs", 0));
        }
        Optional<Deployment> promoted = deployments.stream()
                .filter(deployment ->
                        phase(deployment) == PROMOTED && "true".equals(annotation(deployment, Marks.ACTIVE)))
                .filter(deployment -> releaseId == null || releaseId.equals(annotation(deployment, Marks.RELEASE_ID)))
                .findFirst();
        if (promoted.isEmpty()) {
            return Outcome.fail(
                    "nothing to roll back: no rollout of " + service + " in " + namespace + " is in flight or promoted",
                    Map.of());
        }
        Deployment current = promoted.get();
        Optional<Deployment> previous = cluster.deployment(namespace, annotation(current, Marks.REPLACES));
        boolean warm = previous.isPresent()
                && Optional.ofNullable(previous.get().getSpec().getReplicas()).orElse(0) > 0
                && !expired(annotation(previous.get(), Marks.WARM_UNTIL));
        if (warm) {
            Deployment blue = previous.get();
            RouteTarget target = new RouteTarget(namespace, service, colourOf(blue), colourOf(current));
            return restore(target, routers.named(annotation(current, Marks.ROUTER)), blue, current, reason, readNanos);
        }

        String image = annotation(current, Marks.PREVIOUS_IMAGE);
        String version = annotation(current, Marks.PREVIOUS_VERSION);
        if (image == null) {
            return Outcome.fail(
                    "the rollback window of " + service + " in " + namespace + " has closed and the previous image is"
                            + " not recorded on " + current.getMetadata().getName() + "; publish the previous version",
                    Map.of());
        }
        String closed = previous.map(blue -> "the rollback window of "
                        + blue.getMetadata().getName() + " closed at " + annotation(blue, Marks.WARM_UNTIL))
                .orElse("the previous version's Deployment is gone");
        reporter.progressed(
                "redeploying-previous",
                null,
                closed + "; redeploying " + version + " (" + image + ") through the normal path");
        Outcome redeployed = rollout(
                new Command(
                        releaseId,
                        triggeredId,
                        new RolloutTriggered(
                                environment, service, version == null ? "previous" : version, image, List.of())),
                reporter);
        if (redeployed.result() != Result.FAIL) {
            // The version rolled back is retired, so a second rollback of this release finds it done.
            retire(namespace, current.getMetadata().getName());
        }
        return new Outcome(
                redeployed.result(),
                closed + "; redeployed " + version + " through the normal path: " + redeployed.message(),
                redeployed.details());
    }

    private Outcome restore(
            RouteTarget target,
            TrafficRouter router,
            Deployment blue,
            Deployment green,
            String reason,
            long readNanos) {
        router.restore(target);
        long restoredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readNanos);
        double restoredExactMs = (System.nanoTime() - readNanos) / 1e6;
        Instant restoredAt = Instant.now();
        active.stop(target.namespace(), target.service(), "rolled back: " + reason, true);
        cluster.pinStableService(target.namespace(), target.service(), target.from());
        String greenName = green.getMetadata().getName();
        String blueName = blue.getMetadata().getName();
        cluster.editDeployment(target.namespace(), blueName, deployment -> {
            Cluster.putAnnotations(deployment, Map.of(Marks.ACTIVE, "true"));
            deployment.getMetadata().getAnnotations().remove(Marks.WARM_UNTIL);
            return deployment;
        });
        retire(target.namespace(), greenName);
        cluster.annotate(target.namespace(), greenName, Map.of(Marks.ABORT, "rolled back: " + reason));
        String outcome = "rolled back (" + reason + "): traffic back on " + blueName + " ("
                + Optional.ofNullable(annotation(blue, Marks.VERSION))
                        .or(() -> Optional.ofNullable(annotation(green, Marks.PREVIOUS_VERSION)))
                        .orElse(imageOf(blue))
                + ") in " + restoredMs
                + " ms; " + greenName + " scaled to zero";
        cluster.annotate(target.namespace(), greenName, Map.of(Marks.OUTCOME, "fail: " + outcome));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("trafficRestoredMs", restoredExactMs);
        details.put("trafficRestoredAt", restoredAt.toString());
        details.put("active", blueName);
        details.put("router", router.name());
        return Outcome.pass(outcome, details);
    }

    /**
     * Records an abort on the release's rollout in flight, wherever it runs: the replica running it sees it within
     * a heartbeat, and a rollout resumed after a crash sees it before its next step.
     */
    public void recordAbort(String releaseId, String reason) {
        for (Deployment deployment : cluster.managedDeployments()) {
            Marks.Phase phase = phase(deployment);
            if (phase != null && phase.inFlight() && releaseId.equals(annotation(deployment, Marks.RELEASE_ID))) {
                cluster.annotate(
                        deployment.getMetadata().getNamespace(),
                        deployment.getMetadata().getName(),
                        Map.of(Marks.ABORT, reason));
            }
        }
    }

    // ------------------------------------------------------------------------------------------ decommission

    /** Confirms when the previous version stops being warm and when it is deleted; housekeeping carries it out. */
    public Outcome decommission(String environment, String service) {
        String namespace = environments.of(environment).namespace();
        Optional<Deployment> current = cluster.deploymentsOf(namespace, service).stream()
                .filter(deployment ->
                        "true".equals(annotation(deployment, Marks.ACTIVE)) && phase(deployment) == PROMOTED)
                .findFirst();
        Optional<Deployment> previous =
                current.flatMap(deployment -> cluster.deployment(namespace, annotation(deployment, Marks.REPLACES)));
        if (previous.isEmpty()) {
            return Outcome.pass(
                    "nothing to decommission: " + service + " in " + namespace + " has no previous version", Map.of());
        }
        Deployment blue = previous.get();
        String warmUntil = annotation(blue, Marks.WARM_UNTIL);
        if (warmUntil == null) {
            warmUntil = Instant.now().toString();
            cluster.annotate(namespace, blue.getMetadata().getName(), Map.of(Marks.WARM_UNTIL, warmUntil));
        }
        Instant deleteAt = Instant.parse(warmUntil).plus(config.retention());
        return Outcome.pass(
                blue.getMetadata().getName() + " stays warm for rollbacks until " + warmUntil
                        + ", is then scaled to zero, and is deleted after " + deleteAt,
                Map.of(
                        "previous",
                        blue.getMetadata().getName(),
                        "warmUntil",
                        warmUntil,
                        "deleteAfter",
                        deleteAt.toString()));
    }

    /** Scales down previous versions whose window has passed and deletes those past their retention. */
    public void housekeeping() {
        Instant now = Instant.now();
        for (Deployment deployment : cluster.managedDeployments()) {
            if ("true".equals(annotation(deployment, Marks.ACTIVE))) {
                continue;
            }
            String namespace = deployment.getMetadata().getNamespace();
            String name = deployment.getMetadata().getName();
            String deleteAfter = annotation(deployment, Marks.DELETE_AFTER);
            String warmUntil = annotation(deployment, Marks.WARM_UNTIL);
            if (deleteAfter != null && expired(deleteAfter)) {
                LOG.infof("Deleting %s in %s: its retention ended at %s", name, namespace, deleteAfter);
                cluster.deleteDeployment(namespace, name);
            } else if (deleteAfter == null && warmUntil != null && expired(warmUntil)) {
                int replicas =
                        Optional.ofNullable(deployment.getSpec().getReplicas()).orElse(0);
                LOG.infof("Scaling %s in %s to zero: its rollback window ended at %s", name, namespace, warmUntil);
                cluster.editDeployment(namespace, name, current -> {
                    Cluster.putAnnotations(
                            current,
                            Map.of(
                                    Marks.DELETE_AFTER,
                                    now.plus(config.retention()).toString()));
                    if (replicas > 0) {
                        Cluster.putAnnotations(current, Map.of(Marks.REPLICAS_BEFORE, Integer.toString(replicas)));
                    }
                    current.getSpec().setReplicas(0);
                    return current;
                });
            }
        }
    }

    // ----------------------------------------------------------------------------------------------- helpers

    private static boolean expired(String instant) {
        if (instant == null) {
            return false;
        }
        try {
            return Instant.parse(instant).isBefore(Instant.now());
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    static String annotation(Deployment deployment, String key) {
        Map<String, String> annotations = deployment.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private static Map<String, String> labels(Deployment deployment) {
        return Optional.ofNullable(deployment.getMetadata().getLabels()).orElse(Map.of());
    }

    private static Marks.Phase phase(Deployment deployment) {
        return Marks.Phase.parse(annotation(deployment, Marks.PHASE));
    }

    private static String colourOf(Deployment deployment) {
        String colour = colourOf(deployment, null);
        if (colour == null) {
            throw new RolloutRejected(
                    "the Deployment " + deployment.getMetadata().getName() + " has no "
                            + Marks.COLOUR + " label in its selector and pod template; add " + Marks.COLOUR
                            + ": blue to both so the two versions can be told apart");
        }
        if (!colour.equals("blue") && !colour.equals("green")) {
            throw new RolloutRejected(
                    "the Deployment " + deployment.getMetadata().getName() + " is labelled " + Marks.COLOUR + "="
                            + colour + "; use blue or green");
        }
        return colour;
    }

    private static String colourOf(Deployment deployment, String fallback) {
        if (deployment.getSpec() == null
                || deployment.getSpec().getSelector() == null
                || deployment.getSpec().getSelector().getMatchLabels() == null) {
            return fallback;
        }
        return Optional.ofNullable(
                        deployment.getSpec().getSelector().getMatchLabels().get(Marks.COLOUR))
                .orElse(fallback);
    }

    private static String otherColour(String colour) {
        return colour.equals("blue") ? "green" : "blue";
    }

    private static String imageOf(Deployment deployment) {
        return deployment
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getImage();
    }

    private static String imageTag(String image) {
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash ? image.substring(colon + 1) : "latest";
    }

    /** Label values allow 63 characters of [A-Za-z0-9_.-]. */
    private static String labelValue(String value) {
        String cleaned = value.replaceAll("[^A-Za-z0-9_.-]", "-");
        cleaned = cleaned.length() > 63 ? cleaned.substring(0, 63) : cleaned;
        return cleaned.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
    }

    private static String names(List<Deployment> deployments) {
        List<String> names = new ArrayList<>();
        deployments.forEach(deployment -> names.add(deployment.getMetadata().getName()));
        return String.join(", ", names);
    }

    static String describe(Duration duration) {
        return duration.toString().substring(2).toLowerCase();
    }

    /** Whether a Deployment condition says Kubernetes gave up on it. */
    private static boolean progressDeadlineExceeded(Deployment deployment) {
        if (deployment.getStatus() == null || deployment.getStatus().getConditions() == null) {
            return false;
        }
        for (DeploymentCondition condition : deployment.getStatus().getConditions()) {
            if ("Progressing".equals(condition.getType())
                    && "False".equals(condition.getStatus())
                    && "ProgressDeadlineExceeded".equals(condition.getReason())) {
                return true;
            }
        }
        return false;
    }

    /** For tests and the CLI: the event type of a rollout's own lifecycle. */
    static String rolloutType(Phase phase) {
        return Task.ROLLOUT.type(phase);
    }

    static EventType parse(String type) {
        return EventType.parse(type);
    }
}
