package io.berrys.mesh.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.DecommissionTriggered;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.VerificationTriggered;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.localcluster.KubeletSimulator;
import io.berrys.mesh.rollout.engine.Outcome;
import io.berrys.mesh.rollout.engine.Reporter;
import io.berrys.mesh.rollout.engine.RolloutEngine;
import io.berrys.mesh.rollout.kube.Marks;
import io.cloudevents.CloudEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout-service on fabric8's mock API server in CRUD mode, with a simulated kubelet and a stand-in for the
 * new version's pods, driven through real Redis streams as the coordinator drives it.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SmokeTarget.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.rollout."))
class RolloutIT {

    private static final Duration WITHIN = Duration.ofSeconds(20);
    private static KubeletSimulator kubelet;

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    RedisDataSource redis;

    @Inject
    RolloutEngine engine;

    private static KubernetesClient client;
    private Platform platform;
    private Bus bus;

    @BeforeEach
    void connect() {
        if (kubelet == null) {
            client = server.getClient();
            kubelet = new KubeletSimulator(client);
        }
        platform = new Platform(client);
        bus = new Bus(redis);
    }

    @AfterAll
    static void stopKubelet() {
        if (kubelet != null) {
            kubelet.close();
            kubelet = null;
        }
    }

    @Test
    void theSelectorRouterCutsOverAtOnceAndKeepsBlueWarm() {
        platform.install("sel", "planner", "1.0.0");

        CloudEvent command = bus.rollout("sel", "planner", "1.1.0", "registry.local/planner:1.1.0", List.of());
        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).contains("1.1.0 of planner is live on planner-green");
        assertThat(platform.stableColour("sel", "planner")).isEqualTo("green");
        assertThat(platform.deployment("sel", "planner-green")
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .isEqualTo("registry.local/planner:1.1.0");
        assertThat(platform.annotation("sel", "planner-green", Marks.PHASE)).isEqualTo("promoted");
        // Blue stays warm: same replicas, no traffic, a window.
        assertThat(platform.replicas("sel", "planner")).isEqualTo(2);
        assertThat(platform.annotation("sel", "planner", Marks.WARM_UNTIL)).isNotNull();
        // No gradual steps with this router: one cut-over.
        assertThat(bus.steps(command))
                .contains("green-ready", "smoke-passed", "traffic-100")
                .doesNotContain("traffic-10");
        assertThat(bus.answers(command).get(0).getType()).isEqualTo("mesh.rollout.started");
    }

    @Test
    void theGatewayRouterShiftsTrafficInStepsThroughTheHttpRoute() {
        platform.install("gw", "dashboard", "2.0.0");

        CloudEvent command = bus.rollout("gw", "dashboard", "2.1.0", "registry.local/dashboard:2.1.0", List.of());
        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(bus.steps(command)).containsSubsequence("traffic-10", "traffic-25", "traffic-50", "traffic-100");
        assertThat(platform.routeWeights("gw", "dashboard"))
                .containsEntry("dashboard-blue", 0)
                .containsEntry("dashboard-green", 100);
        assertThat(platform.stableColour("gw", "dashboard")).isEqualTo("green");
        assertThat(finished.details()).containsEntry("trafficMoved", true);
    }

    @Test
    void theNginxRouterWeightsACanaryIngressAndPromotesThroughTheStableService() {
        platform.install("ngx", "toolbox", "3.0.0");

        CloudEvent command = bus.rollout("ngx", "toolbox", "3.1.0", "registry.local/toolbox:3.1.0", List.of(20, 100));
        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(bus.steps(command)).containsSubsequence("traffic-20", "traffic-100");
        var canary = platform.canary("ngx", "toolbox");
        assertThat(canary.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/canary", "true")
                .containsEntry("nginx.ingress.kubernetes.io/canary-weight", "0");
        assertThat(canary.getSpec()
                        .getRules()
                        .get(0)
                        .getHttp()
                        .getPaths()
                        .get(0)
                        .getBackend()
                        .getService()
                        .getName())
                .isEqualTo("toolbox-green");
        assertThat(platform.stableColour("ngx", "toolbox")).isEqualTo("green");
    }

    @Test
    void aFailedSmokeTestRemovesGreenAndNeverMovesTraffic() {
        platform.install("gw", "broken-smoke", "1.0.0");
        SmokeTarget.BROKEN.add("broken-smoke");

        CloudEvent command = bus.rollout("gw", "broken-smoke", "1.1.0", "registry.local/broken-smoke:1.1.0", List.of());
        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message())
                .contains("smoke tests of broken-smoke-green failed")
                .contains("answered 503, expected 200")
                .contains("traffic never moved");
        assertThat(finished.details()).containsEntry("trafficMoved", false);
        assertThat(platform.deployment("gw", "broken-smoke-green")).isNull();
        assertThat(platform.stableColour("gw", "broken-smoke")).isEqualTo("blue");
        assertThat(bus.steps(command)).noneMatch(step -> step.startsWith("traffic"));
    }

    @Test
    void greenThatNeverBecomesReadyFailsWithThePodReasons() {
        platform.install("gw", "pull", "1.0.0");
        platform.install("gw", "crash", "1.0.0");
        platform.install("gw", "nospace", "1.0.0");

        CloudEvent pull = bus.rollout("gw", "pull", "1.1.0", "registry.local/pull:badpull", List.of());
        CloudEvent crash = bus.rollout("gw", "crash", "1.1.0", "registry.local/crash:crashloop", List.of());
        CloudEvent unschedulable =
                bus.rollout("gw", "nospace", "1.1.0", "registry.local/nospace:unschedulable", List.of());

        assertThat(bus.finished(pull, WITHIN).message())
                .contains("pull-green did not become available", "ImagePullBackOff");
        assertThat(bus.finished(crash, WITHIN).message()).contains("CrashLoopBackOff");
        assertThat(bus.finished(unschedulable, WITHIN).message()).contains("Unschedulable", "Insufficient cpu");
        for (String service : List.of("pull", "crash", "nospace")) {
            assertThat(platform.deployment("gw", service + "-green"))
                    .as(service)
                    .isNull();
            assertThat(platform.routeWeights("gw", service)).as(service).containsOnlyKeys(service);
        }
    }

    @Test
    void aRollbackMidShiftSendsTrafficBackInOneCallAndScalesGreenDown() {
        platform.install("slow", "orchestrator", "4.0.0");

        CloudEvent rollout =
                bus.rollout("slow", "orchestrator", "4.1.0", "registry.local/orchestrator:4.1.0", List.of());
        bus.awaitStep(rollout, "traffic-10", WITHIN);
        CloudEvent rollback = bus.rollback("slow", "orchestrator", "HighErrorRate firing", rollout);

        TaskFinished rolledBack = bus.finished(rollback, WITHIN);
        assertThat(rolledBack.result()).as(rolledBack.message()).isEqualTo(Result.PASS);
        assertThat(rolledBack.message()).contains("traffic back on orchestrator (4.0.0)");
        assertThat(rolledBack.details()).containsKey("trafficRestoredMs");
        assertThat(platform.routeWeights("slow", "orchestrator"))
                .containsEntry("orchestrator-blue", 100)
                .containsEntry("orchestrator-green", 0);
        assertThat(platform.replicas("slow", "orchestrator-green")).isZero();
        assertThat(platform.annotation("slow", "orchestrator-green", Marks.PHASE))
                .isEqualTo("rolled-back");

        TaskFinished stopped = bus.finished(rollout, WITHIN);
        assertThat(stopped.result()).isEqualTo(Result.FAIL);
        assertThat(stopped.message()).contains("HighErrorRate firing");
        assertThat(stopped.details()).containsEntry("trafficMoved", true);

        // The coordinator answers the failed rollout with a rollback of its own: already done, so it passes.
        CloudEvent coordinatorRollback =
                bus.rollback("slow", "orchestrator", "rollout failed after traffic moved", rollout);
        TaskFinished again = bus.finished(coordinatorRollback, WITHIN);
        assertThat(again.result()).as(again.message()).isEqualTo(Result.PASS);
        assertThat(again.message()).contains("already rolled back: traffic is on orchestrator");
    }

    @Test
    void anAbortStopsTheShiftAndRestoresBlue() {
        platform.install("slow", "aborted", "1.0.0");

        CloudEvent rollout = bus.rollout("slow", "aborted", "1.1.0", "registry.local/aborted:1.1.0", List.of());
        bus.awaitStep(rollout, "traffic-10", WITHIN);
        bus.write(
                Bus.TRANSITIONS,
                Events.of(
                                EventType.RELEASE_COMMAND,
                                Services.COORDINATOR,
                                new ReleaseCommand(ReleaseCommand.Command.ABORT, "alice", "wrong build"))
                        .releaseId(Events.releaseId(rollout))
                        .build());

        TaskFinished finished = bus.finished(rollout, WITHIN);
        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("aborted by alice", "traffic back on aborted");
        assertThat(platform.routeWeights("slow", "aborted")).containsEntry("aborted-blue", 100);
        assertThat(platform.replicas("slow", "aborted-green")).isZero();
    }

    @Test
    void anAbortRecordedOnTheDeploymentStopsARolloutThatNeverHeardIt() throws Exception {
        platform.install("slow", "elsewhere", "1.0.0");
        RolloutEngine.Command command = new RolloutEngine.Command(
                "rel-elsewhere",
                "trigger-elsewhere",
                new RolloutTriggered("slow", "elsewhere", "1.1.0", "registry.local/elsewhere:1.1.0", List.of()));
        RecordingReporter reporter = new RecordingReporter(null);
        java.util.concurrent.CompletableFuture<Outcome> running =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return engine.rollout(command, reporter);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
        await().atMost(WITHIN).until(() -> reporter.steps.contains("traffic-10"));

        // As another replica receiving the abort would: only the annotation, no signal to this rollout.
        engine.recordAbort("rel-elsewhere", "aborted by bob");

        Outcome outcome = running.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(outcome.result()).isEqualTo(Result.FAIL);
        assertThat(outcome.message()).contains("aborted by bob", "traffic back on elsewhere");
        assertThat(platform.routeWeights("slow", "elsewhere")).containsEntry("elsewhere-blue", 100);
    }

    @Test
    void aRollbackInsideTheWindowReturnsToTheWarmBlue() {
        platform.install("gw", "agents", "5.0.0");
        CloudEvent rollout = bus.rollout("gw", "agents", "5.1.0", "registry.local/agents:5.1.0", List.of());
        assertThat(bus.finished(rollout, WITHIN).result()).isEqualTo(Result.PASS);

        CloudEvent rollback = bus.rollback("gw", "agents", "latency p99 above 2 s", rollout);
        TaskFinished finished = bus.finished(rollback, WITHIN);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).contains("traffic back on agents (5.0.0)");
        assertThat(platform.routeWeights("gw", "agents"))
                .containsEntry("agents-blue", 100)
                .containsEntry("agents-green", 0);
        assertThat(platform.stableColour("gw", "agents")).isEqualTo("blue");
        assertThat(platform.annotation("gw", "agents", Marks.ACTIVE)).isEqualTo("true");
        assertThat(platform.replicas("gw", "agents")).isEqualTo(2);
        assertThat(platform.replicas("gw", "agents-green")).isZero();
    }

    @Test
    void afterTheWindowBlueIsScaledToZeroThenDeleted() {
        platform.install("brief", "integrations", "6.0.0");
        CloudEvent rollout =
                bus.rollout("brief", "integrations", "6.1.0", "registry.local/integrations:6.1.0", List.of());
        assertThat(bus.finished(rollout, WITHIN).result()).isEqualTo(Result.PASS);

        CloudEvent decommission = Events.of(
                        Task.DECOMMISSION.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new DecommissionTriggered("brief", "integrations", null))
                .releaseId(Events.releaseId(rollout))
                .build();
        bus.write(Bus.DECOMMISSIONS, decommission);
        TaskFinished finished = bus.finished(decommission, WITHIN);
        assertThat(finished.result()).isEqualTo(Result.PASS);
        assertThat(finished.message()).contains("integrations stays warm for rollbacks until");

        await().atMost(WITHIN).until(() -> platform.replicas("brief", "integrations") == 0);
        assertThat(platform.annotation("brief", "integrations", Marks.REPLICAS_BEFORE))
                .isEqualTo("2");
        await().atMost(WITHIN).until(() -> platform.deployment("brief", "integrations") == null);
        assertThat(platform.replicas("brief", "integrations-green")).isEqualTo(2);
    }

    /** Stands for the process dying: nothing after the step that threw runs, no cleanup, no finished event. */
    private static final class Crash extends Error {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }

    @Test
    void aRolloutInterruptedMidShiftResumesFromItsAnnotationsWhenTheCommandComesBack() throws Exception {
        platform.install("gw", "resumed", "7.0.0");
        RolloutEngine.Command command = new RolloutEngine.Command(
                "rel-resumed",
                "trigger-resumed",
                new RolloutTriggered("gw", "resumed", "7.1.0", "registry.local/resumed:7.1.0", List.of()));
        RecordingReporter first = new RecordingReporter("traffic-25");
        assertThatThrownBy(() -> engine.rollout(command, first)).isInstanceOf(Crash.class);
        assertThat(first.steps).contains("traffic-10", "traffic-25").doesNotContain("traffic-50");
        assertThat(platform.annotation("gw", "resumed-green", Marks.PHASE)).isEqualTo("shifting");
        assertThat(platform.routeWeights("gw", "resumed")).containsEntry("resumed-green", 25);

        // The connector hands the same command to the restarted service.
        RecordingReporter second = new RecordingReporter(null);
        Outcome outcome = engine.rollout(command, second);

        assertThat(outcome.result()).as(outcome.message()).isEqualTo(Result.PASS);
        assertThat(second.steps).startsWith("resumed").containsSubsequence("traffic-25", "traffic-50", "traffic-100");
        assertThat(second.steps).doesNotContain("green-created", "smoke-tests", "traffic-10");
        assertThat(platform.routeWeights("gw", "resumed")).containsEntry("resumed-green", 100);
        // Delivered once more after it finished: the same answer, nothing changed.
        Outcome again = engine.rollout(command, new RecordingReporter(null));
        assertThat(again.result()).isEqualTo(Result.PASS);
        assertThat(again.message()).isEqualTo(outcome.message());
    }

    private static final class RecordingReporter implements Reporter {
        final List<String> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final String crashAfter;

        RecordingReporter(String crashAfter) {
            this.crashAfter = crashAfter;
        }

        @Override
        public void progressed(String step, Integer percent, String message) {
            steps.add(step);
            if (step.equals(crashAfter)) {
                throw new Crash();
            }
        }

        @Override
        public void heartbeat(String message) {}

        @Override
        public void command(CloudEvent event) {}
    }

    @Test
    void aRollbackAfterTheWindowRedeploysThePreviousVersionThroughTheNormalPath() {
        platform.install("brief", "late", "8.0.0");
        CloudEvent rollout = bus.rollout("brief", "late", "8.1.0", "registry.local/late:8.1.0", List.of());
        assertThat(bus.finished(rollout, WITHIN).result()).isEqualTo(Result.PASS);
        await().atMost(WITHIN).until(() -> platform.replicas("brief", "late") == 0);

        CloudEvent rollback = bus.rollback("brief", "late", "customer reports", rollout);
        TaskFinished finished = bus.finished(rollback, WITHIN);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message())
                .contains("the rollback window of late closed at")
                .contains("redeployed 8.0.0 through the normal path");
        assertThat(bus.steps(rollback)).containsSubsequence("redeploying-previous", "smoke-passed", "traffic-10");
        assertThat(platform.deployment("brief", "late-blue")
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .isEqualTo("registry.local/late:8.0.0");
        assertThat(platform.routeWeights("brief", "late")).containsEntry("late-blue", 100);
    }

    @Test
    void aSecondRollbackOfTheSameReleaseLeavesThePreviousVersionLive() {
        platform.install("gw", "thrice", "1.0.0");
        CloudEvent second = bus.rollout("gw", "thrice", "2.0.0", "registry.local/thrice:2.0.0", List.of(100));
        assertThat(bus.finished(second, WITHIN).result()).isEqualTo(Result.PASS);
        CloudEvent third = bus.rollout("gw", "thrice", "3.0.0", "registry.local/thrice:3.0.0", List.of(100));
        assertThat(bus.finished(third, WITHIN).result()).isEqualTo(Result.PASS);
        assertThat(platform.routeWeights("gw", "thrice")).containsEntry("thrice-blue", 100);

        TaskFinished first = bus.finished(bus.rollback("gw", "thrice", "HighErrorRate firing", third), WITHIN);
        assertThat(first.message()).contains("traffic back on thrice-green (2.0.0)");
        // The monitor's rollback is followed by the coordinator's: it must not take 2.0.0 away as well.
        TaskFinished again = bus.finished(bus.rollback("gw", "thrice", "coordinator follow-up", third), WITHIN);

        assertThat(again.result()).isEqualTo(Result.PASS);
        assertThat(again.message()).contains("already rolled back: traffic is on thrice-green");
        assertThat(platform.routeWeights("gw", "thrice"))
                .containsEntry("thrice-green", 100)
                .containsEntry("thrice-blue", 0);
        assertThat(platform.replicas("gw", "thrice-green")).isEqualTo(2);
    }

    @Test
    void aRollbackDoneByAnotherReplicaStopsTheRolloutHere() {
        platform.install("slow", "replicated", "1.0.0");
        CloudEvent rollout = bus.rollout("slow", "replicated", "1.1.0", "registry.local/replicated:1.1.0", List.of());
        bus.awaitStep(rollout, "traffic-10", WITHIN);

        // What a rollback in another replica leaves in the cluster: traffic on blue, green retired.
        client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class)
                .inNamespace("slow")
                .withName("replicated")
                .edit(route -> {
                    route.getSpec()
                            .getRules()
                            .forEach(rule -> rule.getBackendRefs()
                                    .forEach(ref -> ref.setWeight(ref.getName().equals("replicated-blue") ? 100 : 0)));
                    return route;
                });
        client.apps()
                .deployments()
                .inNamespace("slow")
                .withName("replicated-green")
                .edit(green -> {
                    green.getMetadata().getAnnotations().put(Marks.PHASE, "rolled-back");
                    green.getMetadata().getAnnotations().put(Marks.ABORT, "rolled back: alert elsewhere");
                    green.getSpec().setReplicas(0);
                    return green;
                });

        TaskFinished finished = bus.finished(rollout, WITHIN);
        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("alert elsewhere");
        assertThat(platform.annotation("slow", "replicated-green", Marks.PHASE)).isEqualTo("rolled-back");
        assertThat(platform.routeWeights("slow", "replicated")).containsEntry("replicated-blue", 100);
        assertThat(platform.stableColour("slow", "replicated")).isEqualTo("blue");
    }

    @Test
    void badTrafficStepsAreRefusedBeforeAnythingChanges() {
        platform.install("gw", "badsteps", "1.0.0");
        CloudEvent command = bus.rollout("gw", "badsteps", "1.1.0", "registry.local/badsteps:1.1.0", List.of(10, 50));

        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).isEqualTo("traffic steps for gw must end at 100, got [10, 50]");
        assertThat(platform.deployment("gw", "badsteps-green")).isNull();
    }

    @Test
    void twoServicesRollOutAtOnce() {
        platform.install("slow", "twin-a", "1.0.0");
        platform.install("slow", "twin-b", "1.0.0");

        // Each holds a minute at every step: one after the other, the second would not move for minutes.
        CloudEvent a = bus.rollout("slow", "twin-a", "1.1.0", "registry.local/twin-a:1.1.0", List.of());
        CloudEvent b = bus.rollout("slow", "twin-b", "1.1.0", "registry.local/twin-b:1.1.0", List.of());
        bus.awaitStep(a, "traffic-10", WITHIN);
        bus.awaitStep(b, "traffic-10", WITHIN);

        assertThat(bus.finishedNow(a)).isNull();
        assertThat(bus.finishedNow(b)).isNull();
        assertThat(platform.routeWeights("slow", "twin-a")).containsEntry("twin-a-green", 10);
        assertThat(platform.routeWeights("slow", "twin-b")).containsEntry("twin-b-green", 10);
        assertThat(bus.finished(bus.rollback("slow", "twin-a", "test over", a), WITHIN)
                        .result())
                .isEqualTo(Result.PASS);
        assertThat(bus.finished(bus.rollback("slow", "twin-b", "test over", b), WITHIN)
                        .result())
                .isEqualTo(Result.PASS);
    }

    @Test
    void aFailingStepVerificationRollsBack() {
        platform.install("gated", "verified", "1.0.0");
        CloudEvent rollout = bus.rollout("gated", "verified", "1.1.0", "registry.local/verified:1.1.0", List.of());

        // The monitor-service's part: judge each step; 10 % passes, 25 % fails.
        Map<Integer, Result> verdicts = Map.of(10, Result.PASS, 25, Result.FAIL);
        Map<String, Boolean> answered = new HashMap<>();
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (CloudEvent verification : bus.events(Bus.VERIFICATIONS)) {
                if (answered.putIfAbsent(verification.getId(), true) == null) {
                    int percent = Events.payload(verification, VerificationTriggered.class)
                            .trafficPercent();
                    bus.write(
                            Bus.TRANSITIONS,
                            Events.replyTo(
                                            verification,
                                            Phase.FINISHED,
                                            "monitor-service",
                                            new TaskFinished(
                                                    "verification",
                                                    verdicts.get(percent),
                                                    "error rate at " + percent + " %",
                                                    Map.of()))
                                    .build());
                }
            }
            return bus.finishedNow(rollout) != null;
        });

        TaskFinished finished = bus.finishedNow(rollout);
        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("verification at 25 % failed: error rate at 25 %");
        assertThat(bus.steps(rollout))
                .containsSubsequence("traffic-10", "verified-10", "traffic-25", "verifying-25")
                .doesNotContain("traffic-50");
        assertThat(platform.routeWeights("gated", "verified")).containsEntry("verified-blue", 100);
    }

    @Test
    void podsRestartingDuringTheBakeFailTheRollout() {
        platform.install("gw", "flaky", "1.0.0");
        CloudEvent rollout = bus.rollout("gw", "flaky", "1.1.0", "registry.local/flaky:restarts", List.of(100));

        TaskFinished finished = bus.finished(rollout, WITHIN);

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("restarted", "during the bake", "traffic back on flaky");
        assertThat(platform.routeWeights("gw", "flaky")).containsEntry("flaky-blue", 100);
    }

    @Test
    void withoutALiveDeploymentTheRolloutFailsAndCreatesNothing() {
        CloudEvent command = bus.rollout("gw", "ghost", "1.0.0", "registry.local/ghost:1.0.0", List.of());

        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("no Deployment labelled app.kubernetes.io/name=ghost in namespace gw");
        assertThat(client.apps()
                        .deployments()
                        .inNamespace("gw")
                        .withLabel(Marks.APP, "ghost")
                        .list()
                        .getItems())
                .isEmpty();
        assertThat(client.services()
                        .inNamespace("gw")
                        .withLabel(Marks.APP, "ghost")
                        .list()
                        .getItems())
                .isEmpty();
    }

    @Test
    void anUnknownRouterFailsBeforeAnythingChanges() {
        platform.install("weird", "odd", "1.0.0");
        CloudEvent command = bus.rollout("weird", "odd", "1.1.0", "registry.local/odd:1.1.0", List.of());

        TaskFinished finished = bus.finished(command, WITHIN);

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("unknown traffic router 'teleport'", "gateway, nginx, selector");
        assertThat(platform.deployment("weird", "odd-green")).isNull();
        assertThat(platform.annotation("weird", "odd", Marks.ACTIVE)).isNull();
        assertThat(client.services()
                        .inNamespace("weird")
                        .withName("odd")
                        .get()
                        .getSpec()
                        .getSelector())
                .doesNotContainKey(Marks.COLOUR);
    }

    @Test
    void aCommandWithoutAnImageIsAnsweredAsFailedAndDeadLettered() {
        Map<String, String> fields = new HashMap<>(EventCodec.toFields(Events.of(
                        Task.ROLLOUT.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new io.berrys.mesh.events.catalog.RolloutTriggered(
                                "gw", "noimage", "1.0.0", "registry.local/x:1", List.of()))
                .releaseId("rel-noimage")
                .build()));
        fields.put(EntryFields.DATA, "{\"environment\":\"gw\",\"service\":\"noimage\",\"version\":\"1.0.0\"}");
        bus.write(Bus.ROLLOUTS, fields);
        String id = fields.get(EntryFields.ID);

        await().atMost(WITHIN)
                .until(() -> bus.events(Bus.TRANSITIONS).stream()
                        .anyMatch(event -> id.equals(Events.triggeredId(event))
                                && event.getType().endsWith(".finished")));
        TaskFinished finished = bus.events(Bus.TRANSITIONS).stream()
                .filter(event -> id.equals(Events.triggeredId(event)))
                .map(event -> Events.payload(event, TaskFinished.class))
                .findFirst()
                .orElseThrow();
        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("rejected by rollout-service", "'image' is required");
        assertThat(bus.entries(Bus.ROLLOUTS + ".dlq"))
                .anySatisfy(
                        entry -> assertThat(entry.get(EntryFields.DLQ_REASON)).contains("'image' is required"));
    }
}
