package io.berrys.mesh.provisioner;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(RedisServerResource.class)
@QuarkusTestResource(PostgresServerResource.class)
class SpecResourceIT {

    @Test
    void theProductionSpecIsValidAndListsItsResourcesInCreateOrder() throws Exception {
        String yaml = Files.readString(Path.of("../deploy/environments/production.yaml"));

        given().contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8))
                .post("/specs/check")
                .then()
                .statusCode(200)
                .body("environment", equalTo("production"))
                .body("plan[0].level", equalTo(0))
                .body("plan.id", hasItem("db-instance/primary"))
                .body("plan.find { it.id == 'db-instance/primary' }.protect", equalTo(true));
    }

    @Test
    void anInvalidSpecIsA400NamingEveryKey() {
        given().contentType("application/yaml")
                .body("environment: production\ndatabase: {instanceClass: db.t3.huge}\nnetwork: {mtu: 9000}\n"
                        .getBytes(StandardCharsets.UTF_8))
                .post("/specs/check")
                .then()
                .statusCode(400)
                .body("violations.key", hasItem("database.instanceClass"))
                .body("violations.key", hasItem("network.mtu"))
                .body("error", containsString("unknown instance class 'db.t3.huge'"))
                .body("error", not(containsString("Exception")));
    }

    @Test
    void aBodyThatIsNotYamlIsA400() {
        given().contentType("application/yaml")
                .body("environment: [unclosed".getBytes(StandardCharsets.UTF_8))
                .post("/specs/check")
                .then()
                .statusCode(400)
                .body("violations[0].rule", containsString("is not YAML at line 1"));
    }
}
