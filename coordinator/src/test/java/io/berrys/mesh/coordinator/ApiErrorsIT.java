package io.berrys.mesh.coordinator;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/**
 * Requests the API cannot take are answered with a JSON body that names the field and the rule, never a Java type
 * and never a 500; a method a path does not answer gets the ones it does. deploy/local/api-conformance.sh checks the
 * whole API against its document with schemathesis; these pin the answers a person reads.
 */
@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class ApiErrorsIT {

    @Test
    void aBodyOfTheWrongShapeNamesTheFieldAndTheKindExpected() {
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body("{\"environment\": \"staging\", \"service\": \"svc\", \"version\": \"1\","
                        + " \"image\": \"r/svc:1\", \"databases\": 5}")
                .when()
                .post("/api/releases")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("error", equalTo("`databases` must be an array"))
                .body("error", not(containsString("java")));
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body("{\"environment\": \"staging\", \"requiresDowntime\": \"yes\"}")
                .when()
                .post("/api/releases")
                .then()
                .statusCode(400)
                .body("error", equalTo("`requiresDowntime` must be true or false"));
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body("{\"environment\": ")
                .when()
                .post("/api/releases")
                .then()
                .statusCode(400)
                .body("error", containsString("the body is not valid JSON"));
    }

    @Test
    void aStringWithTheNulCharacterIsABadRequestNotAServerError() {
        // schemathesis found it: PostgreSQL's text refuses U+0000, so the release failed only as it was stored.
        Api.asAdmin()
                .contentType(ContentType.JSON)
                .body("{\"environment\": \"staging\", \"service\": \"svc\", \"version\": \"1\","
                        + " \"image\": \"r/svc:1\", \"migrations\": \"m\\u0000\"}")
                .when()
                .post("/api/releases")
                .then()
                .statusCode(400)
                .body("error", equalTo("`migrations`: must not contain the NUL character (U+0000)"));
        // The document says so, or a schema-based client would take such a string for valid.
        Api.asAdmin()
                .when()
                .get("/q/openapi?format=json")
                .then()
                .statusCode(200)
                .body("components.schemas.PublishRequest.properties.migrations.pattern", equalTo("^[^\\u0000]*$"));
    }

    @Test
    void aRequestLineTooLongToReadIsDocumentedAs414() {
        Api.asAdmin()
                .when()
                .get("/api/releases?environment=" + "e".repeat(5_000))
                .then()
                .statusCode(414);
        Api.asAdmin()
                .when()
                .get("/q/openapi?format=json")
                .then()
                .statusCode(200)
                .body("paths.'/api/releases'.get.responses.'414'.$ref", equalTo("#/components/responses/UriTooLong"));
    }

    @Test
    void aNumberOutOfRangeIsABadRequestNamingTheParameter() {
        Api.asAdmin()
                .queryParam("size", "2147483648")
                .when()
                .get("/api/releases")
                .then()
                .statusCode(400)
                .body("error", equalTo("size must be a whole number from 1 to 200, got '2147483648'"));
        Api.asAdmin()
                .queryParam("page", "-1")
                .when()
                .get("/api/releases")
                .then()
                .statusCode(400)
                .body("error", containsString("page must be a whole number from 0 to 1000000"));
    }

    @Test
    void aParameterGivenTwiceOrEmptyIsABadRequestNotAQuietDefault() {
        Api.asAdmin()
                .when()
                .get("/api/releases?page=&page=3")
                .then()
                .statusCode(400)
                .body("error", equalTo("page is given 2 times; give it once"));
        Api.asAdmin()
                .when()
                .get("/api/releases?size=")
                .then()
                .statusCode(400)
                .body("error", equalTo("size is empty; leave it out for the default"));
        Api.asAdmin()
                .when()
                .get("/api/releases?environment=&service=&page=0&size=1")
                .then()
                .statusCode(200);
    }

    @Test
    void aMethodAPathDoesNotAnswerIsRefusedWithTheOnesItDoes() {
        Api.asAdmin()
                .when()
                .delete("/api/releases")
                .then()
                .statusCode(405)
                .header("Allow", equalTo("GET, HEAD, OPTIONS, POST"))
                .body("error", equalTo("DELETE is not allowed on /api/releases; it answers GET, HEAD, OPTIONS, POST"));
        Api.asAdmin()
                .when()
                .options("/api/releases/rel-x/events")
                .then()
                .statusCode(204)
                .header("Allow", equalTo("GET, HEAD, OPTIONS"));
    }

    @Test
    void theEventStreamOfAnUnknownReleaseIs404InJson() {
        Api.asAdmin()
                .accept("text/event-stream")
                .when()
                .get("/api/releases/rel-nobody/events")
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("error", equalTo("no release rel-nobody"));
        Api.asAdmin().when().get("/api/releases/{id}", "rel-\u0000").then().statusCode(404);
    }
}
