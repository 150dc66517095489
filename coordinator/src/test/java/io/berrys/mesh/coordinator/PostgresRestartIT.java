package io.berrys.mesh.coordinator;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.berrys.mesh.coordinator.TestAgents.Behaviour;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.testing.PrivatePostgresResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PostgreSQL restarts while a stage is running: the release still completes, nothing is dead-lettered. */
@QuarkusTest
@QuarkusTestResource(value = PrivatePostgresResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."),
        restrictToAnnotatedClass = true)
class PostgresRestartIT {

    private static TestAgents agents;

    @BeforeAll
    static void startAgents() {
        agents = new TestAgents("it.coordinator.transitions");
    }

    @AfterAll
    static void stopAgents() throws InterruptedException {
        agents.close();
    }

    @Test
    void aReleaseRunningThroughADatabaseRestartStillSucceeds() {
        String id = Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "environment", "staging",
                        "service", "planning-system",
                        "version", "7.0.0",
                        "image", "registry.local/berrys/planning-system:7.0.0",
                        "databases", List.of("planning"),
                        "migrations", "db/migration"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        agents.expect(id, Map.of(Task.MIGRATION, Behaviour.SLOW));
        await().atMost(Duration.ofSeconds(20)).until(() -> agents.triggeredCount(id, Task.MIGRATION) == 1);

        PrivatePostgresResource.server().restart();

        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> Api.asAdmin()
                        .when()
                        .get("/api/releases/{id}", id)
                        .then()
                        .statusCode(200)
                        .body("state", equalTo("SUCCEEDED")));
    }
}
