package io.berrys.mesh.coordinator;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.coordinator.TestAgents.Behaviour;
import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Releases through the real streams and the real database, the agents played by {@link TestAgents}. */
@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class ReleasePipelineIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static TestAgents agents;

    @BeforeAll
    static void startAgents() {
        agents = new TestAgents("it.coordinator.transitions");
    }

    @AfterAll
    static void stopAgents() throws InterruptedException {
        agents.close();
    }

    private static String publish(
            String environment, String service, List<String> databases, Map<Task, Behaviour> behaviours) {
        String key = "it-" + System.nanoTime();
        String id = Api.asAdmin()
                .contentType(ContentType.JSON)
                .header("Idempotency-Key", key)
                .body(Map.of(
                        "environment",
                        environment,
                        "service",
                        service,
                        "version",
                        "2.4.0",
                        "image",
                        "registry.local/berrys/" + service + ":2.4.0",
                        "databases",
                        databases,
                        "migrations",
                        "db/migration"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        agents.expect(id, behaviours);
        return id;
    }

    private static void awaitState(String id, String state) {
        await().atMost(WAIT)
                .untilAsserted(() -> Api.asAdmin()
                        .when()
                        .get("/api/releases/{id}", id)
                        .then()
                        .statusCode(200)
                        .body("state", equalTo(state)));
    }

    @Test
    void happyPathRunsEveryStageInOrder() {
        String id = publish("staging", "planning-system", List.of("planning"), Map.of());
        awaitState(id, "SUCCEEDED");
        List<String> commands =
                agents.commandsFor(id).stream().map(e -> e.getType()).toList();
        assertEquals(
                List.of(
                        "mesh.backup.triggered",
                        "mesh.migration.triggered",
                        "mesh.rollout.triggered",
                        "mesh.verification.triggered",
                        "mesh.decommission.triggered"),
                commands);
        Api.asAdmin()
                .when()
                .get("/api/releases/{id}", id)
                .then()
                .body("stages.status", equalTo(List.of("PASSED", "PASSED", "PASSED", "PASSED", "PASSED")))
                .body("events.type", org.hamcrest.Matchers.hasItem("mesh.rollout.finished"));
    }

    @Test
    void failedMigrationFailsTheReleaseAndNothingIsRolledOut() {
        String id = publish("staging", "tool-integration", List.of("tools"), Map.of(Task.MIGRATION, Behaviour.FAIL));
        awaitState(id, "FAILED");
        Api.asAdmin()
                .when()
                .get("/api/releases/{id}", id)
                .then()
                .body("reason", equalTo("migration failed: migration broke on purpose"));
        assertEquals(0, agents.triggeredCount(id, Task.ROLLOUT));
    }

    @Test
    void failureAfterTrafficMovedRollsBack() {
        String id = publish("staging", "web-dashboard", List.of(), Map.of(Task.VERIFICATION, Behaviour.FAIL));
        awaitState(id, "ROLLED_BACK");
        assertEquals(1, agents.triggeredCount(id, Task.ROLLBACK));
        Api.asAdmin()
                .when()
                .get("/api/releases/{id}", id)
                .then()
                .body("reason", equalTo("verification failed: verification broke on purpose"));
    }

    @Test
    void anAgentThatNeverStartsIsNamedWhenItTimesOut() {
        String id = publish("staging", "model-orchestration", List.of("models"), Map.of(Task.BACKUP, Behaviour.SILENT));
        awaitState(id, "FAILED");
        Api.asAdmin()
                .when()
                .get("/api/releases/{id}", id)
                .then()
                .body("reason", equalTo("backup failed: backup-service did not start backup within PT2S"));
    }

    @Test
    void heartbeatsThatStopFailTheStage() {
        String id =
                publish("staging", "service-integration", List.of(), Map.of(Task.ROLLOUT, Behaviour.START_THEN_SILENT));
        awaitState(id, "FAILED");
        Api.asAdmin()
                .when()
                .get("/api/releases/{id}", id)
                .then()
                .body("reason", containsString("rollout-service stopped reporting on rollout"));
    }

    @Test
    void duplicateRepliesDoNotTriggerTwice() {
        String id = publish(
                "staging", "project-coordinator", List.of("projects"), Map.of(Task.BACKUP, Behaviour.PASS_TWICE));
        awaitState(id, "SUCCEEDED");
        assertEquals(1, agents.triggeredCount(id, Task.MIGRATION));
        assertEquals(1, agents.triggeredCount(id, Task.BACKUP));
    }

    @Test
    void aBadReleaseAmongManyArrivingTogetherHoldsNoneBackAndIsDeadLettered() {
        String run = Long.toString(System.nanoTime(), 36);
        List<String> good = new ArrayList<>();
        List<CloudEvent> events = new ArrayList<>();
        String bad = "batch-" + run + "-bad";
        for (int i = 0; i < 30; i++) {
            String id = "batch-" + run + "-" + i;
            good.add(id);
            agents.expect(id, Map.of());
            events.add(published(id, "batch-" + run + "-" + i));
            if (i == 15) {
                events.add(published(bad, "Not A Service!"));
            }
        }
        // Written in one pipeline, they reach the coordinator together and are applied in groups.
        agents.writeAll(TestAgents.REQUESTS, events);

        good.forEach(id -> awaitState(id, "SUCCEEDED"));
        await().atMost(WAIT)
                .until(() -> agents.wasWritten(Streams.COMMANDS + ".dlq", bad, EventType.RELEASE_PUBLISHED));
        Map<String, String> deadLetter = agents.entryOf(Streams.COMMANDS + ".dlq", bad, EventType.RELEASE_PUBLISHED)
                .orElseThrow();
        assertTrue(
                deadLetter.get(EntryFields.DLQ_REASON).contains("service must be a DNS label"),
                deadLetter.get(EntryFields.DLQ_REASON));
        Api.asAdmin().when().get("/api/releases/{id}", bad).then().statusCode(404);
    }

    @Test
    void aCommandWrittenStraightOntoTheTransitionsStreamIsDeadLetteredAndChangesNothing() {
        // A service of its own: another test's production release of a platform service may still hold the slot.
        String id = publish("production", "forged-command-check", List.of(), Map.of());
        awaitState(id, "WAITING_APPROVAL");
        CloudEvent forged = Events.of(
                        EventType.RELEASE_COMMAND,
                        Services.COORDINATOR,
                        new ReleaseCommand(ReleaseCommand.Command.APPROVE, "mallory", "forged"))
                .releaseId(id)
                .build();
        agents.writeAll(List.of(forged));

        await().atMost(WAIT).until(() -> agents.wasWritten("transitions.dlq", id, EventType.RELEASE_COMMAND));
        String reason = agents.entryOf("transitions.dlq", id, EventType.RELEASE_COMMAND)
                .orElseThrow()
                .get(EntryFields.DLQ_REASON);
        assertTrue(reason.contains("is taken from mesh.commands only"), reason);
        Api.asAdmin()
                .when()
                .get("/api/releases/{id}", id)
                .then()
                .statusCode(200)
                .body("state", equalTo("WAITING_APPROVAL"))
                .body("events.type", not(hasItem(EventType.RELEASE_COMMAND)));

        // The same command from its producers' stream is applied.
        CloudEvent legitimate = Events.of(
                        EventType.RELEASE_COMMAND,
                        Services.MONITOR,
                        new ReleaseCommand(ReleaseCommand.Command.ABORT, "monitor-service", "test"))
                .releaseId(id)
                .build();
        agents.writeAll(TestAgents.REQUESTS, List.of(legitimate));
        awaitState(id, "ABORTED");
    }

    @Test
    void anythingButARequestOnTheCommandsStreamIsDeadLettered() {
        String id = publish("staging", "web-dashboard", List.of(), Map.of(Task.BACKUP, Behaviour.SILENT));
        CloudEvent finished = Events.of(
                        Task.BACKUP.type(Phase.FINISHED),
                        Services.BACKUP,
                        new TaskFinished("backup", Result.PASS, "done", Map.of()))
                .releaseId(id)
                .triggeredId(id + ".backup.1")
                .build();
        agents.writeAll(TestAgents.REQUESTS, List.of(finished));
        await().atMost(WAIT).until(() -> agents.wasWritten(Streams.COMMANDS + ".dlq", id, "mesh.backup.finished"));
        String reason = agents.entryOf(Streams.COMMANDS + ".dlq", id, "mesh.backup.finished")
                .orElseThrow()
                .get(EntryFields.DLQ_REASON);
        assertTrue(reason.contains("carries release requests and commands only"), reason);
    }

    private static CloudEvent published(String releaseId, String service) {
        return Events.of(
                        EventType.RELEASE_PUBLISHED,
                        Services.COORDINATOR,
                        new ReleasePublished(
                                "staging",
                                service,
                                "1.0.0",
                                "registry.local/berrys/batch:1.0.0",
                                List.of("main"),
                                "db/migration",
                                false,
                                "ci"))
                .releaseId(releaseId)
                .build();
    }

    @Test
    void queuePerServiceApprovalGateAndSupersede() {
        String first = publish("production", "agent-orchestrator", List.of(), Map.of());
        awaitState(first, "WAITING_APPROVAL");
        String second = publish("production", "agent-orchestrator", List.of(), Map.of());
        String third = publish("production", "agent-orchestrator", List.of(), Map.of());
        String other = publish("production", "planning-system", List.of(), Map.of());
        awaitState(third, "QUEUED");
        awaitState(second, "ABORTED"); // superseded by the third while both waited
        awaitState(other, "WAITING_APPROVAL"); // another service's queue is not blocked

        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(Map.of("reason", "change ticket 42"))
                .when()
                .post("/api/releases/{id}/approve", first)
                .then()
                .statusCode(200);
        awaitState(first, "SUCCEEDED");
        awaitState(third, "WAITING_APPROVAL");
        assertEquals(0, agents.triggeredCount(second, Task.ROLLOUT));
    }

    @Test
    void downtimeReleaseWaitsForItsWindowAndTheWindowIsAnnounced() {
        String id = Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "environment", "windowed",
                        "service", "web-dashboard",
                        "version", "8.0.0",
                        "image", "registry.local/berrys/web-dashboard:8.0.0",
                        "requiresDowntime", true))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(201)
                .body("state", equalTo("WAITING_WINDOW"))
                .extract()
                .path("id");
        await().atMost(WAIT).until(() -> agents.wasWritten("mesh.transitions", id, "mesh.maintenance.announced"));
        assertEquals(0, agents.triggeredCount(id, Task.ROLLOUT));
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .post("/api/releases/{id}/abort", id)
                .then()
                .statusCode(200)
                .body("state", equalTo("ABORTED"));
    }

    @Test
    void rollbackDoesNotWaitInTheQueue() {
        String running =
                publish("staging", "model-orchestration", List.of("models"), Map.of(Task.BACKUP, Behaviour.SLOW));
        String queued = publish("staging", "model-orchestration", List.of(), Map.of());
        awaitState(queued, "QUEUED");
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(Map.of("reason", "wrong image"))
                .post("/api/releases/{id}/rollback", running)
                .then()
                .statusCode(200)
                .body("state", equalTo("ROLLING_BACK"));
        awaitState(running, "ROLLED_BACK");
        assertEquals(1, agents.triggeredCount(running, Task.ROLLBACK));
        awaitState(queued, "SUCCEEDED");
    }

    @Test
    void badRequestsGetAMessage() {
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(Map.of("environment", "moon", "service", "Bad Name", "version", "", "image", "no tag"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(400)
                .body("error", containsString("environment 'moon' has no pipeline"))
                .body("error", containsString("service must be a DNS label"))
                .body("error", containsString("image must be a reference with a tag or digest"));
        Api.asAdmin().when().get("/api/releases/{id}", "rel-nope").then().statusCode(404);
        Api.asAdmin().when().get("/api/releases?size=1000").then().statusCode(400);
        Api.asAdmin().when().get("/api/releases?state=sleeping").then().statusCode(400);
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .when()
                .post("/api/releases/{id}/dance", "rel-nope")
                .then()
                .statusCode(404);
    }

    @Test
    void illegalCommandIsAConflictAndChangesNothing() {
        String id = publish("staging", "planning-system", List.of(), Map.of());
        awaitState(id, "SUCCEEDED");
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .when()
                .post("/api/releases/{id}/resume", id)
                .then()
                .statusCode(409)
                .body("error", containsString("cannot resume"));
        Api.asAdmin().when().get("/api/releases/{id}", id).then().body("state", equalTo("SUCCEEDED"));
    }

    @Test
    void sameIdempotencyKeyReturnsTheSameRelease() {
        Map<String, Object> body = Map.of(
                "environment", "staging", "service", "tool-integration", "version", "3.0.0", "image", "r/t:3.0.0");
        String first = Api.asAdmin()
                .contentType(ContentType.JSON)
                .header("Idempotency-Key", "ci-run-77")
                .body(body)
                .post("/api/releases")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .header("Idempotency-Key", "ci-run-77")
                .body(body)
                .post("/api/releases")
                .then()
                .statusCode(200)
                .body("id", equalTo(first));
    }

    @Test
    void rebuiltProjectionsEqualTheLiveOnes() {
        publish("staging", "web-dashboard", List.of("web"), Map.of());
        publish("staging", "tool-integration", List.of(), Map.of(Task.ROLLOUT, Behaviour.FAIL));
        publish("staging", "model-orchestration", List.of(), Map.of(Task.VERIFICATION, Behaviour.FAIL));
        publish("production", "service-integration", List.of(), Map.of());
        // Compare at rest: no release may move between the two snapshots.
        await().atMost(WAIT)
                .until(() -> Api.asAdmin()
                        .get("/api/releases?size=200")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("state", String.class)
                        .stream()
                        .noneMatch(state -> state.equals("RUNNING") || state.equals("ROLLING_BACK")));
        List<Map<String, Object>> live = snapshot();
        Map<String, Object> rebuilt = RebuildIT.rebuildAndWait();
        assertEquals("SUCCEEDED", rebuilt.get("state"), rebuilt.toString());
        assertEquals(live.size(), ((Number) rebuilt.get("releases")).intValue(), rebuilt.toString());
        assertEquals(live, snapshot());
    }

    private static List<Map<String, Object>> snapshot() {
        return Api.asAdmin()
                .get("/api/releases?size=200")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .<Map<String, Object>>getList("")
                .stream()
                .map(release -> Map.<String, Object>of(
                        "id", release.get("id"),
                        "state", release.get("state"),
                        "reason", String.valueOf(release.get("reason")),
                        "stages",
                                String.valueOf(((List<?>) release.get("stages"))
                                        .stream()
                                                .map(stage -> ((Map<?, ?>) stage).get("status") + "/"
                                                        + ((Map<?, ?>) stage).get("attempt"))
                                                .toList())))
                .sorted(java.util.Comparator.comparing(release -> (String) release.get("id")))
                .toList();
    }

    @TestHTTPResource("/api/releases")
    URL releases;

    @Test
    void eventsStreamLiveUntilTheReleaseEnds() throws Exception {
        String id = publish("staging", "agent-orchestrator", List.of("agents"), Map.of());
        HttpRequest request = HttpRequest.newBuilder(URI.create(releases + "/" + id + "/events"))
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + Api.ADMIN)
                .timeout(Duration.ofSeconds(30))
                .build();
        List<String> data = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofLines())
                .body()
                .filter(line -> line.startsWith("data:"))
                .toList();
        assertTrue(data.stream().anyMatch(line -> line.contains("mesh.release.published")), data.toString());
        assertTrue(data.stream().anyMatch(line -> line.contains("mesh.decommission.finished")), data.toString());
        assertTrue(data.get(data.size() - 1).contains("\"state\":\"SUCCEEDED\""), data.get(data.size() - 1));
    }
}
