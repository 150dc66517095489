package io.berrys.mesh.coordinator;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.events.testing.ServiceSmokeChecks;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(RedisServerResource.class)
class SmokeIT extends ServiceSmokeChecks {

    /** The gauges the MeshReleaseStuck alert (deploy/monitoring/rules/mesh.rules.yml) reads. */
    @Test
    void theSweepReportsWhenItLastRanAndHowManyReleasesWereOverdue() {
        long startedAt = Instant.now().getEpochSecond();
        given().get("/q/metrics").then().statusCode(200).body(containsString("mesh_releases_overdue "));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String metrics = given().get("/q/metrics").asString();
            return metrics.lines()
                    .filter(line -> line.startsWith("mesh_coordinator_last_sweep_timestamp_seconds "))
                    .map(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                    .anyMatch(seconds -> seconds >= startedAt);
        });
    }
}
