package io.berrys.mesh.coordinator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.coordinator.TestAgents.Behaviour;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A command that never reached its owner (a crashed Redis loses what it acknowledged in its last second) is sent
 * again, with the same event id, before the stage's to-start timeout decides; and only so often.
 */
@QuarkusTest
@TestProfile(CommandResendIT.QuickResend.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class CommandResendIT {

    /** Resends after 1 s, three at most, well inside a 12 s to-start timeout. */
    public static class QuickResend implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mesh.coordinator.command-resend-after", "PT1S",
                    "mesh.coordinator.command-resends", "3",
                    "mesh.coordinator.pipelines.staging.timeouts.to-start", "PT12S");
        }
    }

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
    void aLostCommandIsSentAgainAndTheReleaseSucceeds() {
        String id = publish("7.1.0");
        agents.expect(id, Map.of(Task.BACKUP, Behaviour.LOST_ONCE, Task.ROLLOUT, Behaviour.LOST_ONCE));

        awaitState(id, "SUCCEEDED", Duration.ofSeconds(60));
        for (Task task : List.of(Task.BACKUP, Task.ROLLOUT)) {
            List<CloudEvent> commands = commands(id, task);
            assertEquals(2, commands.size(), task + " commands: " + commands);
            assertEquals(commands.get(0).getId(), commands.get(1).getId(), "sent again under the same event id");
        }
        // Answered at once: sent only once.
        assertEquals(1, commands(id, Task.MIGRATION).size());
    }

    @Test
    void aCommandNobodyAnswersIsSentAgainOnlySoOftenThenTheStageTimesOut() {
        String id = publish("7.2.0");
        agents.expect(id, Map.of(Task.BACKUP, Behaviour.SILENT));

        String reason = awaitState(id, "FAILED", Duration.ofSeconds(60));
        assertTrue(reason.contains("did not start backup within PT12S"), reason);
        assertEquals(1 + 3, commands(id, Task.BACKUP).size(), "the command and its three repeats");
    }

    private static List<CloudEvent> commands(String releaseId, Task task) {
        return agents.commandsFor(releaseId).stream()
                .filter(command -> command.getType().equals(task.type(Phase.TRIGGERED)))
                .toList();
    }

    private static String publish(String version) {
        return Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "environment",
                        "staging",
                        "service",
                        "tool-integration",
                        "version",
                        version,
                        "image",
                        "registry.local/berrys/tool-integration:" + version,
                        "databases",
                        List.of("tools"),
                        "migrations",
                        "db/migration"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
    }

    /** Waits for the state and answers the release's reason. */
    private static String awaitState(String id, String state, Duration within) {
        return await().atMost(within)
                .pollInterval(Duration.ofMillis(300))
                .until(
                        () -> Api.asAdmin()
                                .when()
                                .get("/api/releases/{id}", id)
                                .then()
                                .statusCode(200)
                                .extract()
                                .jsonPath(),
                        release -> state.equals(release.getString("state")))
                .getString("reason");
    }
}
