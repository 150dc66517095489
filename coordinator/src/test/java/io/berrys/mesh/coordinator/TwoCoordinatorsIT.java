package io.berrys.mesh.coordinator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A second coordinator (the packaged application, its own JVM) joins the same consumer group and database: the
 * events of every release are split between the two, and every release still ends right, each stage triggered
 * once.
 */
@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class TwoCoordinatorsIT {

    private static final List<Task> STAGES =
            List.of(Task.BACKUP, Task.MIGRATION, Task.ROLLOUT, Task.VERIFICATION, Task.DECOMMISSION);
    private static TestAgents agents;
    private static Process second;
    private static int secondPort;

    @TestHTTPResource("/")
    URL first;

    @BeforeAll
    static void startSecondCoordinator() throws Exception {
        agents = new TestAgents("it.coordinator.transitions");
        secondPort = freePort();
        LocalServers.Postgres postgres = LocalServers.requirePostgres();
        String database =
                "jdbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + postgres.database() + "_test";
        Path log = Path.of("target", "second-coordinator.log");
        ProcessBuilder secondCoordinator = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dquarkus.http.port=" + secondPort,
                        "-Dquarkus.datasource.jdbc.url=" + database,
                        "-Dquarkus.datasource.reactive.url=" + database.substring("jdbc:".length()),
                        "-Dquarkus.datasource.username=" + postgres.user(),
                        "-Dquarkus.datasource.password=" + postgres.password(),
                        "-Dmp.messaging.incoming.transitions.stream=it.coordinator.transitions",
                        "-Dmp.messaging.incoming.transitions.consumer=second-coordinator",
                        "-Dmp.messaging.outgoing.commands.stream-prefix=it.coordinator.",
                        "-Dmesh.coordinator.tokens.operator.secret=" + Api.ADMIN,
                        "-Dmesh.coordinator.sweep-interval=PT1S",
                        "-jar",
                        Path.of("target", "quarkus-app", "quarkus-run.jar").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        secondCoordinator.environment().putAll(LocalServers.redisAccountEnvironment());
        second = secondCoordinator.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                if (!second.isAlive()) {
                    throw new IllegalStateException("the second coordinator exited:\n" + Files.readString(log));
                }
                try {
                    return io.restassured.RestAssured.given()
                                    .port(secondPort)
                                    .get("/q/health/ready")
                                    .statusCode()
                            == 200;
                } catch (Exception notYet) {
                    return false;
                }
            });
        } catch (RuntimeException e) {
            second.destroyForcibly();
            throw e;
        }
    }

    @AfterAll
    static void stopSecondCoordinator() throws InterruptedException {
        if (second != null) {
            second.destroy();
            second.waitFor();
        }
        agents.close();
    }

    @Test
    void releasesSplitAcrossTwoReplicasEndRightWithEachStageTriggeredOnce() {
        List<String> services =
                List.of("agent-orchestrator", "planning-system", "model-orchestration", "tool-integration");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int port = i % 2 == 0 ? first.getPort() : secondPort;
            String id = Api.asAdmin()
                    .port(port)
                    .contentType(ContentType.JSON)
                    .header("Idempotency-Key", "two-" + System.nanoTime())
                    .body(Map.of(
                            "environment",
                            "staging",
                            "service",
                            services.get(i % services.size()),
                            "version",
                            "9." + i + ".0",
                            "image",
                            "registry.local/berrys/app:9." + i + ".0",
                            "databases",
                            List.of("main"),
                            "migrations",
                            "db/migration"))
                    .when()
                    .post("/api/releases")
                    .then()
                    .statusCode(201)
                    .extract()
                    .path("id");
            agents.expect(id, Map.of());
            ids.add(id);
        }
        // A newer release of a service supersedes one still queued, so each ends SUCCEEDED or ABORTED.
        await().atMost(Duration.ofSeconds(90))
                .until(() -> ids.stream().allMatch(id -> {
                    String state = Api.asAdmin()
                            .get("/api/releases/{id}", id)
                            .then()
                            .extract()
                            .path("state");
                    return "SUCCEEDED".equals(state) || "ABORTED".equals(state);
                }));
        for (String id : ids) {
            String state =
                    Api.asAdmin().get("/api/releases/{id}", id).then().extract().path("state");
            for (Task task : STAGES) {
                long expected = "SUCCEEDED".equals(state) ? 1 : 0;
                assertEquals(expected, agents.triggeredCount(id, task), id + " " + state + ": " + task + " triggered");
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
