package io.berrys.mesh.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.cli.ExitCode;
import io.berrys.mesh.cli.Mesh;
import io.berrys.mesh.coordinator.TestAgents.Behaviour;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The {@code mesh} CLI against a live coordinator: --wait follows the release and exits with its outcome. */
@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class CliIT {

    private static TestAgents agents;

    @TestHTTPResource("/")
    URL coordinator;

    @BeforeAll
    static void startAgents() {
        agents = new TestAgents("it.coordinator.transitions");
    }

    @AfterAll
    static void stopAgents() throws InterruptedException {
        agents.close();
    }

    private record Run(int exit, String out) {}

    /** Publishes with --wait; the agents are told about the release first (its id follows from the key). */
    private Run publishAndWait(String service, Map<Task, Behaviour> behaviours) throws Exception {
        String key = "cli-" + System.nanoTime();
        agents.expect("rel-" + sha256(key).substring(0, 13), behaviours);
        return mesh(
                "release",
                "publish",
                "--env",
                "staging",
                "--service",
                service,
                "--version",
                "5.0.1",
                "--image",
                "registry.local/berrys/" + service + ":5.0.1",
                "--database",
                "main",
                "--migrations",
                "db/migration",
                "--idempotency-key",
                key,
                "--wait",
                "--timeout",
                "PT60S");
    }

    @Test
    void waitExitsZeroOnSuccessAndShowsTheStages() throws Exception {
        Run run = publishAndWait("planning-system", Map.of());
        assertEquals(ExitCode.SUCCEEDED, run.exit(), run.out());
        assertTrue(run.out().contains("mesh.migration.finished"), run.out());
        assertTrue(run.out().contains(": SUCCEEDED - planning-system 5.0.1 to staging"), run.out());
    }

    @Test
    void waitExitsNonZeroWithTheReasonOnFailure() throws Exception {
        Run run = publishAndWait("tool-integration", Map.of(Task.MIGRATION, Behaviour.FAIL));
        assertEquals(ExitCode.FAILED, run.exit(), run.out());
        assertTrue(run.out().contains("FAILED - tool-integration 5.0.1 to staging: migration failed"), run.out());
    }

    @Test
    void waitExitsWithTheRolledBackCode() throws Exception {
        Run run = publishAndWait("web-dashboard", Map.of(Task.VERIFICATION, Behaviour.FAIL));
        assertEquals(ExitCode.ROLLED_BACK, run.exit(), run.out());
    }

    @Test
    void aProductionReleaseWaitsForApproveAndThenRunsToTheEnd() throws Exception {
        String key = "cli-" + System.nanoTime();
        String id = "rel-" + sha256(key).substring(0, 13);
        agents.expect(id, Map.of());
        Run published = mesh(
                "release",
                "publish",
                "--env",
                "production",
                "--service",
                "project-coordinator",
                "--version",
                "5.0.2",
                "--image",
                "registry.local/berrys/project-coordinator:5.0.2",
                "--idempotency-key",
                key);
        assertEquals(ExitCode.SUCCEEDED, published.exit(), published.out());
        assertTrue(
                published.out().contains(id + ": project-coordinator 5.0.2 to production (WAITING_APPROVAL)"),
                published.out());

        Run approved = mesh("release", "approve", id, "--reason", "change ticket 42");
        assertEquals(ExitCode.SUCCEEDED, approved.exit(), approved.out());
        assertTrue(approved.out().contains(id + ": RUNNING"), approved.out());

        Run followed = mesh("release", "status", id, "--wait", "--timeout", "PT60S");
        assertEquals(ExitCode.SUCCEEDED, followed.exit(), followed.out());

        Run again = mesh("release", "approve", id);
        assertEquals(ExitCode.API_ERROR, again.exit(), again.out());
    }

    @Test
    void adminRebuildFollowsTheJobToItsEnd() throws Exception {
        publishAndWait("model-orchestration", Map.of());
        Run rebuilt = mesh("admin", "rebuild", "--timeout", "PT60S");
        assertEquals(ExitCode.SUCCEEDED, rebuilt.exit(), rebuilt.out());
        assertTrue(
                rebuilt.out()
                        .matches("(?s)(rebuild-\\w+): started, [0-9,]+ events in the log\\n"
                                + "(\\1 (PREPARING|REPLAYING|SWAPPING): [0-9,]+ of [0-9,]+ events[^\\n]*\\n)*"
                                + "\\1 SUCCEEDED: rebuilt"
                                + " [0-9,]+ releases from [0-9,]+ events.*"),
                rebuilt.out());
        String id = rebuilt.out().substring(0, rebuilt.out().indexOf(':'));
        Run status = mesh("admin", "rebuild-status", id);
        assertEquals(ExitCode.SUCCEEDED, status.exit(), status.out());
        assertTrue(status.out().startsWith(id + " SUCCEEDED: rebuilt"), status.out());
        Run unknown = mesh("admin", "rebuild-status", "rebuild-nope");
        assertEquals(ExitCode.API_ERROR, unknown.exit(), unknown.out());
        assertTrue(unknown.out().contains("HTTP 404: no rebuild rebuild-nope"), unknown.out());
    }

    private Run mesh(String... args) {
        StringWriter out = new StringWriter();
        String[] all = new String[args.length + 4];
        all[0] = "--url";
        all[1] = coordinator.toString();
        all[2] = "--token";
        all[3] = Api.ADMIN;
        System.arraycopy(args, 0, all, 4, args.length);
        int exit = Mesh.commandLine()
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(out))
                .execute(all);
        return new Run(exit, out.toString());
    }

    private static String sha256(String value) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    }
}
