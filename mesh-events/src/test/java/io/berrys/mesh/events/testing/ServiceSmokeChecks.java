package io.berrys.mesh.events.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import org.junit.jupiter.api.Test;

/**
 * What every mesh service serves, checked against the running application. A service's {@code SmokeIT} extends
 * this and adds {@code @QuarkusTest} and the {@link RedisServerResource}.
 */
public abstract class ServiceSmokeChecks {

    @Test
    void liveness() {
        given().when().get("/q/health/live").then().statusCode(200).body(containsString("\"UP\""));
    }

    @Test
    void readinessIncludesRedis() {
        given().when()
                .get("/q/health/ready")
                .then()
                .log()
                .ifValidationFails()
                .statusCode(200)
                .body(containsString("Redis connection health check"));
    }

    @Test
    void prometheusMetrics() {
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("jvm_memory_used_bytes"));
    }

    @Test
    void openApiDocument() {
        given().when().get("/q/openapi").then().statusCode(200).body(containsString("openapi"));
    }
}
