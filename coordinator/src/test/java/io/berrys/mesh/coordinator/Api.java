package io.berrys.mesh.coordinator;

import static io.restassured.RestAssured.given;

import io.restassured.specification.RequestSpecification;

/** Requests with the test profile's tokens (see application.properties). */
final class Api {
    static final String ADMIN = "test-admin-token";
    static final String STAGING_DEPLOYER = "test-ci-token";
    static final String VIEWER = "test-viewer-token";

    private Api() {}

    static RequestSpecification asAdmin() {
        return as(ADMIN);
    }

    static RequestSpecification as(String token) {
        return given().auth().oauth2(token);
    }
}
