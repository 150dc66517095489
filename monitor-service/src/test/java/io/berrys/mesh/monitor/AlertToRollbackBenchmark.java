package io.berrys.mesh.monitor;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Figures for {@code bench/alert-to-rollback.sh}: webhook posts, each a firing alert for a different service with a
 * rollout in progress, timed by the monitor-service from the request arriving to {@code mesh.rollback.triggered}
 * written to Redis (the {@code writtenMs} its answer reports). Not part of the test suite; prints key=value lines.
 */
@QuarkusTest
@QuarkusTestResource(MonitoringServers.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.monitor."))
class AlertToRollbackBenchmark {

    private static final int POSTS = Integer.getInteger("bench.posts", 1_000);
    private static final int WARMUP = 200;

    @Inject
    RedisDataSource redis;

    @Test
    void measure() {
        Bus bus = new Bus(redis);
        for (int i = 0; i < WARMUP + POSTS; i++) {
            bus.rollingOut("bench", "svc-" + i);
        }
        await().atMost(Duration.ofSeconds(120))
                .until(() -> given().header("Authorization", "Bearer test-api-token")
                                .queryParam("environment", "bench")
                                .get("/api/live-releases")
                                .then()
                                .extract()
                                .jsonPath()
                                .getList("releaseId")
                                .size()
                        == WARMUP + POSTS);

        List<Double> written = new ArrayList<>();
        for (int i = 0; i < WARMUP + POSTS; i++) {
            JsonPath answer = given().header("Authorization", "Bearer " + MonitoringServers.TOKEN)
                    .contentType(ContentType.JSON)
                    .body(Bus.alertBody(
                            "HighErrorRate",
                            "fp-bench-" + i,
                            "firing",
                            Map.of("service", "svc-" + i, "environment", "bench", "severity", "critical")))
                    .post("/api/alerts")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            List<Float> rollbacks = answer.getList("rollbacks.writtenMs", Float.class);
            if (rollbacks.size() != 1) {
                throw new IllegalStateException(
                        "post " + i + " caused " + rollbacks.size() + " rollbacks: " + answer.prettify());
            }
            if (i >= WARMUP) {
                written.add(rollbacks.get(0).doubleValue());
            }
        }
        double[] sorted =
                written.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.println("posts=" + sorted.length);
        System.out.printf("alert_to_rollback_p50_ms=%.2f%n", percentile(sorted, 50));
        System.out.printf("alert_to_rollback_p99_ms=%.2f%n", percentile(sorted, 99));
        System.out.printf("alert_to_rollback_max_ms=%.2f%n", sorted[sorted.length - 1]);
    }

    private static double percentile(double[] sorted, double percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
