package io.berrys.mesh.coordinator;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(RedisServerResource.class)
class AuthIT {

    private static Map<String, Object> release(String environment) {
        return Map.of(
                "environment", environment,
                "service", "web-dashboard",
                "version", "1.0.0",
                "image", "registry.local/web-dashboard:1.0.0");
    }

    @Test
    void noTokenOrAWrongOneIs401WithoutEchoingIt() {
        given().when()
                .get("/api/releases")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", containsString("Authorization: Bearer"));
        Api.as("guess-123")
                .when()
                .get("/api/releases")
                .then()
                .statusCode(401)
                .body("error", org.hamcrest.Matchers.not(containsString("guess-123")));
    }

    @Test
    void viewerReadsButCannotPublish() {
        Api.as(Api.VIEWER).when().get("/api/releases").then().statusCode(200);
        Api.as(Api.VIEWER)
                .contentType(ContentType.JSON)
                .body(release("staging"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(403)
                .body("error", containsString("token 'reader' (viewer"));
    }

    @Test
    void deployerIsScopedToItsEnvironmentsAndCannotApprove() {
        Api.as(Api.STAGING_DEPLOYER)
                .contentType(ContentType.JSON)
                .body(release("production"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(403)
                .body("error", containsString("publish releases to production"));
        String production = Api.asAdmin()
                .contentType(ContentType.JSON)
                .body(release("production"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.as(Api.STAGING_DEPLOYER)
                .contentType(ContentType.JSON)
                .when()
                .post("/api/releases/{id}/approve", production)
                .then()
                .statusCode(403);
        Api.as(Api.STAGING_DEPLOYER)
                .when()
                .get("/api/releases/{id}", production)
                .then()
                .statusCode(403);
        Api.as(Api.STAGING_DEPLOYER)
                .contentType(ContentType.JSON)
                .body(release("staging"))
                .when()
                .post("/api/releases")
                .then()
                .statusCode(201)
                .body("requestedBy", org.hamcrest.Matchers.equalTo("ci"));
    }
}
