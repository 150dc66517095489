package io.berrys.mesh.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.localcluster.LocalCluster;
import io.berrys.mesh.system.CoordinatorApi.Outcome;
import io.berrys.mesh.system.CoordinatorApi.Request;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRefBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The traffic audit of the system tests sees what it must: a step applied again is counted, a clean rollout not. */
class SideEffectsTest {

    private static LocalCluster.Running cluster;
    private static SideEffects effects;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(
                0, 0, LocalServers.repoRoot().resolve("deploy/kubernetes/platform/base"), List.of("staging"));
        effects = new SideEffects(cluster.client(), null, "unused");
    }

    @AfterAll
    static void stop() {
        effects.close();
        cluster.close();
    }

    @Test
    void aCleanRolloutAndARollbackRepeatNothing() {
        long from = System.currentTimeMillis();
        for (int weight : new int[] {10, 25, 50, 100, 100}) {
            shift("planning-system", weight);
        }
        assertThat(effects.repeatedTrafficChanges(ended("planning-system", from, "SUCCEEDED"), true))
                .isZero();

        long rollbackFrom = System.currentTimeMillis();
        for (int weight : new int[] {10, 25, 0}) {
            shift("tool-integration", weight);
        }
        assertThat(effects.repeatedTrafficChanges(ended("tool-integration", rollbackFrom, "ROLLED_BACK"), true))
                .isZero();
    }

    @Test
    void aStepAppliedAgainAfterACrashIsCounted() {
        long from = System.currentTimeMillis();
        for (int weight : new int[] {10, 25, 10, 25, 50, 100}) {
            shift("web-dashboard", weight);
        }
        assertThat(effects.repeatedTrafficChanges(ended("web-dashboard", from, "SUCCEEDED"), true))
                .isEqualTo(2);
    }

    @Test
    void trafficMovedByAReleaseThatShouldNotMoveItIsCounted() {
        long from = System.currentTimeMillis();
        shift("model-orchestration", 10);
        assertThat(effects.repeatedTrafficChanges(ended("model-orchestration", from, "FAILED"), false))
                .isEqualTo(1);
    }

    /** Sets the route as the gateway router does. */
    private static void shift(String service, int percent) {
        cluster.client()
                .resources(HTTPRoute.class)
                .inNamespace("staging")
                .withName(service)
                .edit(route -> {
                    route.getSpec()
                            .getRules()
                            .get(0)
                            .setBackendRefs(List.of(
                                    new HTTPBackendRefBuilder()
                                            .withName(service + "-blue")
                                            .withPort(80)
                                            .withWeight(100 - percent)
                                            .build(),
                                    new HTTPBackendRefBuilder()
                                            .withName(service + "-green")
                                            .withPort(80)
                                            .withWeight(percent)
                                            .build()));
                    return route;
                });
    }

    private static Outcome ended(String service, long from, String state) {
        // The watch delivers asynchronously: the release ends once it has seen the last edit.
        await().atMost(Duration.ofSeconds(10))
                .pollDelay(Duration.ofMillis(300))
                .until(() -> effects.routeChangedSince("staging", service, from));
        return new Outcome(
                "rel-test",
                new Request("staging", service, "1.0.0", null, null),
                from,
                System.currentTimeMillis(),
                state,
                "");
    }
}
