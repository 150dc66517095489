package io.berrys.mesh.coordinator.api;

import jakarta.ws.rs.core.Response;

/** The body of every 4xx answer: one message a person can act on. */
public record ApiError(String error) {

    public static Response response(Response.Status status, String message) {
        return Response.status(status).entity(new ApiError(message)).build();
    }
}
