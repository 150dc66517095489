package io.berrys.mesh.rollout;

import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.localcluster.KubeletSimulator;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Figures for {@code bench/rollback.sh}: rollbacks of rollouts caught mid-shift on the mock API server, timed by the
 * rollout-service from reading {@code mesh.rollback.triggered} to the router's traffic restored (the
 * {@code trafficRestoredMs} of its finished event). Not part of the test suite; prints key=value lines.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SmokeTarget.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.rollout."))
class RollbackBenchmark {

    private static final int ROLLBACKS = Integer.getInteger("bench.rollbacks", 100);
    /** Rollouts started together, then rolled back one after another. */
    private static final int BATCH = 10;

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    RedisDataSource redis;

    @Test
    void measure() {
        Bus bus = new Bus(redis);
        Platform platform = new Platform(server.getClient());
        List<Double> restored = new ArrayList<>();
        try (KubeletSimulator kubelet = new KubeletSimulator(server.getClient())) {
            for (int first = 0; first < ROLLBACKS; first += BATCH) {
                List<CloudEvent> rollouts = new ArrayList<>();
                List<String> services = new ArrayList<>();
                for (int i = first; i < Math.min(ROLLBACKS, first + BATCH); i++) {
                    String service = "bench-" + i;
                    services.add(service);
                    platform.install("slow", service, "1.0.0");
                    rollouts.add(
                            bus.rollout("slow", service, "1.1.0", "registry.local/" + service + ":1.1.0", List.of()));
                }
                for (int i = 0; i < rollouts.size(); i++) {
                    bus.awaitStep(rollouts.get(i), "traffic-10", Duration.ofSeconds(60));
                    CloudEvent rollback = bus.rollback("slow", services.get(i), "benchmark", rollouts.get(i));
                    TaskFinished finished = bus.finished(rollback, Duration.ofSeconds(30));
                    if (finished.result() != Result.PASS) {
                        throw new IllegalStateException("rollback failed: " + finished.message());
                    }
                    restored.add(((Number) finished.details().get("trafficRestoredMs")).doubleValue());
                }
                System.err.printf("[bench] %d/%d rollbacks%n", restored.size(), ROLLBACKS);
            }
        }
        double[] sorted =
                restored.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.println("rollbacks=" + sorted.length);
        System.out.printf("rollback_restore_p50_ms=%.2f%n", percentile(sorted, 50));
        System.out.printf("rollback_restore_p99_ms=%.2f%n", percentile(sorted, 99));
        System.out.printf("rollback_restore_max_ms=%.2f%n", sorted[sorted.length - 1]);
    }

    private static double percentile(double[] sorted, double percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
