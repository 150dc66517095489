package io.berrys.mesh.provisioner;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The runs API over the staging spec on moto: plan, apply under a lease, drift with its gauge, destroy. */
@QuarkusTest
@QuarkusTestResource(RedisServerResource.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(MotoEnvironmentResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EnvironmentRunsIT {

    static final String ENV = MotoEnvironmentResource.ENVIRONMENT;

    static String start(String action) {
        return given().contentType("application/json")
                .body(Map.of("action", action))
                .post("/environments/" + ENV + "/runs")
                .then()
                .statusCode(202)
                .body("state", equalTo("RUNNING"))
                .extract()
                .path("id");
    }

    static JsonPath finished(String id) {
        Awaitility.await()
                .atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !"RUNNING".equals(view(id).getString("state")));
        return view(id);
    }

    record CliRun(int exit, String out, String err) {}

    /** The mesh CLI against this provisioner, as a user runs it (off a terminal). */
    static CliRun mesh(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--provisioner-url";
        all[1] = "http://127.0.0.1:" + io.restassured.RestAssured.port;
        System.arraycopy(args, 0, all, 2, args.length);
        int exit = io.berrys.mesh.cli.Mesh.commandLine()
                .setOut(new java.io.PrintWriter(out))
                .setErr(new java.io.PrintWriter(err))
                .execute(all);
        return new CliRun(exit, out.toString(), err.toString());
    }

    static JsonPath view(String id) {
        return given().get("/environments/" + ENV + "/runs/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @Test
    @Order(0)
    void theCliPlansWithExitTwoWhileChangesArePending() {
        CliRun plan = mesh("env", "plan", ENV);

        assertThat(plan.exit()).as(plan.err()).isEqualTo(2);
        assertThat(plan.out()).contains("+ vpc/main", "plan " + ENV + " succeeded: +");
    }

    @Test
    @Order(1)
    void aPlanOfNothingCreatesEveryResource() {
        JsonPath plan = finished(start("plan"));

        assertThat(plan.getString("state")).isEqualTo("SUCCEEDED");
        assertThat(plan.getInt("pending")).isGreaterThan(30);
        assertThat(plan.getString("summary")).matches("\\+\\d+ ~0 -0");
        assertThat(plan.getList("diff", String.class)).contains("+ vpc/main");
    }

    @Test
    @Order(2)
    void anApplyHoldsTheEnvironmentsLeaseAndASecondIsRefusedNamingIt() {
        String id = start("apply");
        given().contentType("application/json")
                .body(Map.of("action", "destroy"))
                .post("/environments/" + ENV + "/runs")
                .then()
                .statusCode(409)
                .body("field", equalTo("environment"))
                .body("error", containsString(id));

        JsonPath apply = finished(id);
        assertThat(apply.getString("state")).as(apply.getString("error")).isEqualTo("SUCCEEDED");
        List<String> lines = apply.getList("lines", String.class);
        assertThat(lines).contains("+ created vpc/main").last().asString().startsWith("apply " + ENV + " succeeded");
        assertThat(view(id).getList("lines", String.class)).isEqualTo(lines);
        assertThat(given().queryParam("after", lines.size() - 1)
                        .get("/environments/" + ENV + "/runs/" + id)
                        .jsonPath()
                        .getList("lines", String.class))
                .containsExactly(lines.get(lines.size() - 1));
    }

    @Test
    @Order(3)
    void aDriftCheckAfterTheApplyFindsNothingAndSaysSoOnTheGauge() {
        JsonPath drift = finished(start("drift"));

        assertThat(drift.getString("state")).isEqualTo("SUCCEEDED");
        assertThat(drift.getInt("pending")).isZero();
        assertThat(given().get("/q/metrics").asString())
                .contains("mesh_environment_drift_resources{environment=\"" + ENV + "\"} 0.0");
    }

    @Test
    @Order(4)
    void badRequestsAreRefusedNamingTheField() {
        given().contentType("application/json")
                .body(Map.of("action", "explode"))
                .post("/environments/" + ENV + "/runs")
                .then()
                .statusCode(400)
                .body("field", equalTo("action"));
        given().contentType("application/json")
                .body(Map.of("action", "plan", "force", true))
                .post("/environments/" + ENV + "/runs")
                .then()
                .statusCode(400)
                .body("field", equalTo("force"));
        given().contentType("application/json")
                .body(Map.of("action", "plan"))
                .post("/environments/nowhere/runs")
                .then()
                .statusCode(404)
                .body("error", containsString("no spec for environment nowhere"));
        given().contentType("application/json")
                .body(Map.of("action", "plan"))
                .post("/environments/Bad_Name/runs")
                .then()
                .statusCode(400)
                .body("violations.key", hasItem("environment"));
        given().contentType("application/json")
                .body(Map.of("action", "plan"))
                .post("/environments/mismatched/runs")
                .then()
                .statusCode(400)
                .body("violations.key", hasItem("environment"));
        given().get("/environments/" + ENV + "/runs/run-nope")
                .then()
                .statusCode(404)
                .body("field", equalTo("id"));
    }

    @Test
    @Order(3)
    void anEditNotAppliedYetIsAPlannedChangeButNotDrift() throws Exception {
        java.nio.file.Path file = MotoEnvironmentResource.FOLDER.resolve(ENV + ".yaml");
        String applied = java.nio.file.Files.readString(file);
        java.nio.file.Files.writeString(file, applied.replace("  replicas: 1\n", "  replicas: 2\n"));
        try {
            JsonPath plan = finished(start("plan"));
            assertThat(plan.getInt("pending")).isEqualTo(1);
            assertThat(plan.getList("lines", String.class)).anyMatch(l -> l.startsWith("the spec has changed since"));

            JsonPath drift = finished(start("drift"));
            assertThat(drift.getInt("pending")).isZero();
            assertThat(drift.getList("lines", String.class)).anyMatch(l -> l.startsWith("against the spec applied by"));
        } finally {
            java.nio.file.Files.writeString(file, applied);
        }
    }

    @Test
    @Order(4)
    void theCliPlansWithExitZeroOnceApplied() {
        CliRun plan = mesh("env", "plan", ENV);

        assertThat(plan.exit()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("plan " + ENV + " succeeded: +0 ~0 -0");
    }

    @Test
    @Order(4)
    void aDestroyOffATerminalNeedsAutoApproveAndStartsNothingWithout() {
        CliRun destroy = mesh("env", "destroy", ENV);

        assertThat(destroy.exit()).isEqualTo(2);
        assertThat(destroy.err()).contains("needs --auto-approve", "nothing was started");
        assertThat(mesh("env", "drift", ENV).exit()).as("nothing was deleted").isZero();
    }

    /** Staging protects nothing; moto 5.2.5 has no DeleteCacheSubnetGroup, the one step it cannot do. */
    @Test
    @Order(5)
    void aDestroyDeletesWhatMotoCanAndNamesTheStepItCannot() {
        CliRun destroy = mesh("env", "destroy", ENV, "--auto-approve");

        assertThat(destroy.exit()).isEqualTo(1);
        assertThat(destroy.out())
                .contains("- deleted db-instance/primary", "- deleted eks-cluster/main", "- deleted s3-bucket/static")
                .contains("failed: cache-subnet-group/main:");
    }
}
