package io.berrys.mesh.monitor;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.catalog.AlertFired;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Alertmanager webhook against real Redis: authentication, validation, the policy, dedupe and cooldown. */
@QuarkusTest
@QuarkusTestResource(MonitoringServers.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.monitor."))
class AlertWebhookIT {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    @Inject
    RedisDataSource redis;

    private Bus bus;

    @BeforeEach
    void connect() {
        bus = new Bus(redis);
    }

    private void awaitLive(String releaseId) {
        await().atMost(WITHIN)
                .until(() -> given().header("Authorization", "Bearer test-api-token")
                        .get("/api/live-releases")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("releaseId")
                        .contains(releaseId));
    }

    private static io.restassured.response.ValidatableResponse post(Object body) {
        return given().header("Authorization", "Bearer " + MonitoringServers.TOKEN)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/alerts")
                .then();
    }

    @Test
    void aFiringAlertForAServiceRollingOutTriggersARollbackOnThePriorityStream() {
        String releaseId = bus.rollingOut("staging", "planning-system");
        awaitLive(releaseId);

        post(Bus.alertBody(
                        "HighErrorRate",
                        "fp-planning",
                        "firing",
                        Map.of("service", "planning-system", "environment", "staging", "severity", "critical")))
                .statusCode(200)
                .body("fired", equalTo(1))
                .body("rollbacks", hasSize(1))
                .body("rollbacks[0].releaseId", equalTo(releaseId));

        List<CloudEvent> rollbacks = bus.rollbacksOf(releaseId);
        assertThat(rollbacks).hasSize(1);
        RollbackTriggered rollback = Events.payload(rollbacks.get(0), RollbackTriggered.class);
        assertThat(rollback.environment()).isEqualTo("staging");
        assertThat(rollback.service()).isEqualTo("planning-system");
        assertThat(rollback.reason()).isEqualTo("alert HighErrorRate firing: HighErrorRate on planning-system");
        assertThat(rollbacks.get(0).getSubject()).isEqualTo("staging/planning-system");

        List<CloudEvent> fired = bus.events(Bus.TRANSITIONS, EventType.ALERT_FIRED).stream()
                .filter(event -> releaseId.equals(Events.releaseId(event)))
                .toList();
        assertThat(fired).hasSize(1);
        assertThat(Events.payload(fired.get(0), AlertFired.class).fingerprint()).isEqualTo("fp-planning");
        assertThat(bus.events(Bus.TRANSITIONS, EventType.RELEASE_COMMAND)).isEmpty();
        List<CloudEvent> commands = bus.events(Bus.COMMANDS, EventType.RELEASE_COMMAND).stream()
                .filter(event -> releaseId.equals(Events.releaseId(event)))
                .toList();
        assertThat(commands).hasSize(1);
        ReleaseCommand command = Events.payload(commands.get(0), ReleaseCommand.class);
        assertThat(command.command()).isEqualTo(ReleaseCommand.Command.ROLLBACK);
        assertThat(command.requestedBy()).isEqualTo("monitor-service (alert HighErrorRate)");
    }

    @Test
    void anAlertForAServiceWithNothingLiveIsOnlyRecorded() {
        post(Bus.alertBody(
                        "HighErrorRate",
                        "fp-quiet",
                        "firing",
                        Map.of("service", "web-dashboard", "environment", "quiet", "severity", "critical")))
                .statusCode(200)
                .body("rollbacks", hasSize(0))
                .body("recorded[0]", containsString("no release of web-dashboard in quiet is rolling out"));

        assertThat(bus.events(Bus.PRIORITY).stream().filter(event -> "quiet/web-dashboard".equals(event.getSubject())))
                .isEmpty();
        assertThat(bus.events(Bus.TRANSITIONS, EventType.ALERT_FIRED).stream()
                        .filter(event -> "quiet/web-dashboard".equals(event.getSubject())))
                .hasSize(1);
    }

    @Test
    void mesHealthAlertsAreRecordedNeverRolledBack() {
        String releaseId = bus.rollingOut("staging", "tool-integration");
        awaitLive(releaseId);

        post(Bus.alertBody(
                        "MeshStreamLagHigh",
                        "fp-lag",
                        "firing",
                        Map.of("service", "tool-integration", "environment", "staging", "severity", "warning")))
                .statusCode(200)
                .body("rollbacks", hasSize(0))
                .body("recorded[0]", containsString("policy mesh records only"));
        assertThat(bus.rollbacksOf(releaseId)).isEmpty();
    }

    @Test
    void aFloodOfDuplicateAlertsCausesOneRollback() throws Exception {
        String releaseId = bus.rollingOut("production", "model-orchestration");
        awaitLive(releaseId);
        Map<String, String> labels =
                Map.of("service", "model-orchestration", "environment", "production", "severity", "critical");

        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                // The same alert repeated, and other alerts about the same service (new fingerprints).
                String fingerprint = i % 2 == 0 ? "fp-flood" : "fp-flood-" + i;
                calls.add(CompletableFuture.supplyAsync(
                        () -> post(Bus.alertBody("HighErrorRate", fingerprint, "firing", labels))
                                .extract()
                                .statusCode(),
                        callers));
            }
            for (CompletableFuture<Integer> call : calls) {
                assertThat(call.get()).isEqualTo(200);
            }
        } finally {
            callers.shutdown();
        }

        assertThat(bus.rollbacksOf(releaseId)).hasSize(1);
        assertThat(bus.events(Bus.TRANSITIONS, EventType.ALERT_FIRED).stream()
                        .filter(event -> releaseId.equals(Events.releaseId(event))))
                .as("each distinct alert once on the timeline")
                .hasSize(51);
    }

    @Test
    void aResolvedAlertGoesOnTheTimeline() {
        post(Bus.alertBody(
                        "ServiceDown",
                        "fp-resolved",
                        "resolved",
                        Map.of("service", "agent-orchestrator", "environment", "staging", "severity", "critical")))
                .statusCode(200)
                .body("resolved", equalTo(1))
                .body("rollbacks", hasSize(0));

        assertThat(bus.events(Bus.TRANSITIONS, EventType.ALERT_RESOLVED).stream()
                        .filter(event -> "staging/agent-orchestrator".equals(event.getSubject())))
                .hasSize(1);
    }

    @Test
    void withoutTheRightTokenTheCallIsRefused() {
        Object body = Bus.alertBody("HighErrorRate", "fp-x", "firing", Map.of());
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/alerts")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", equalTo("an Authorization: Bearer header is required"));
        given().header("Authorization", "Bearer not-the-token")
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/alerts")
                .then()
                .statusCode(401)
                .body("error", equalTo("the bearer token is not valid"));
        // What is live is the operators' to read, with their token; Alertmanager's does not open it.
        given().get("/api/live-releases").then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"));
        given().header("Authorization", "Bearer " + MonitoringServers.TOKEN)
                .get("/api/live-releases")
                .then()
                .statusCode(401)
                .body("error", equalTo("the bearer token is not valid"));
    }

    @Test
    void aBodyOfTheWrongShapeNamesTheFieldNotAJavaType() {
        post(Map.of("version", "4", "alerts", Map.of("status", "firing")))
                .statusCode(400)
                .body("error", equalTo("the body is not an Alertmanager webhook payload: `alerts` must be an array"))
                .body("error", not(containsString("java")));
    }

    @Test
    void aMethodThePathDoesNotAnswerIsRefusedWithTheOnesItDoes() {
        given().delete("/api/alerts").then().statusCode(405).header("Allow", equalTo("OPTIONS, POST"));
        given().header("Authorization", "Bearer test-api-token")
                .post("/api/live-releases")
                .then()
                .statusCode(405)
                .header("Allow", equalTo("GET, HEAD, OPTIONS"));
    }

    @Test
    void badPayloadsAreRefusedWithTheReason() {
        post("{not json").statusCode(400).body("error", containsString("not an Alertmanager webhook payload"));
        post(Map.of("version", "3", "alerts", List.of()))
                .statusCode(400)
                .body("problems", hasSize(2))
                .body("error", containsString("'version' must be \"4\""))
                .body("error", containsString("'alerts' must hold at least one alert"));
        post(Map.of("version", "4", "alerts", List.of(Map.of("status", "burning", "labels", Map.of()))))
                .statusCode(400)
                .body("error", containsString("alerts[0].status must be firing or resolved"))
                .body("error", containsString("alerts[0].labels.alertname is required"))
                .body("error", containsString("alerts[0].fingerprint is required"));
        java.util.Map<String, String> nullLabel = new java.util.HashMap<>();
        nullLabel.put("alertname", "HighErrorRate");
        nullLabel.put("team", null);
        post(Map.of(
                        "version",
                        "4",
                        "alerts",
                        List.of(Map.of("status", "firing", "labels", nullLabel, "fingerprint", "fp-null"))))
                .statusCode(400)
                .body("error", equalTo("alerts[0].labels must not hold null values"));
        given().header("Authorization", "Bearer " + MonitoringServers.TOKEN)
                .contentType(ContentType.JSON)
                .post("/api/alerts")
                .then()
                .statusCode(400);
    }
}
