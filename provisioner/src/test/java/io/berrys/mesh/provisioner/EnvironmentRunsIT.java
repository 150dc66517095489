package io.berrys.mesh.provisioner;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

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

    static JsonPath view(String id) {
        return given().get("/environments/" + ENV + "/runs/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
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

    /** Staging protects nothing; moto 5.2.5 has no DeleteCacheSubnetGroup, the one step it cannot do. */
    @Test
    @Order(5)
    void aDestroyDeletesWhatMotoCanAndNamesTheStepItCannot() {
        JsonPath destroy = finished(start("destroy"));

        assertThat(destroy.getString("state")).isEqualTo("FAILED");
        assertThat(destroy.getString("error")).startsWith("cache-subnet-group/main:");
        assertThat(destroy.getList("lines", String.class))
                .contains("- deleted db-instance/primary", "- deleted eks-cluster/main", "- deleted s3-bucket/static");
    }
}
