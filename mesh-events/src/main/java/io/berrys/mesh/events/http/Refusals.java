package io.berrys.mesh.events.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.berrys.mesh.events.json.JsonProblems;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.Optional;

/**
 * The answers of a service's API to requests it cannot take, the same in every service: a JSON body
 * {@code {"error": "..."}} that says what to change, never a Java type, and a 405 with the methods the path answers.
 */
public final class Refusals {

    private Refusals() {}

    public static Response badRequest(String message) {
        return json(Response.status(Response.Status.BAD_REQUEST), message);
    }

    /** A body that did not read: its field and the rule, by {@link JsonProblems}. */
    public static Response unreadableBody(JsonProcessingException failure) {
        return badRequest(JsonProblems.describe(failure));
    }

    /**
     * The framework refuses some requests with a bare status (a body that is not JSON at all, a media type the
     * endpoint does not take, a path nobody answers); they get a message too. One that has a body is kept.
     */
    public static Response bare(WebApplicationException failure) {
        Response refused = failure.getResponse();
        if (refused.hasEntity()) {
            return refused;
        }
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof JsonProcessingException json) {
                return unreadableBody(json);
            }
        }
        String message = switch (refused.getStatus()) {
            case 400 -> "the body could not be read as JSON";
            case 404 -> "nothing answers at this path";
            case 406 -> "this endpoint cannot answer in the media type asked for (Accept)";
            case 415 -> "send the body as application/json";
            default -> refused.getStatusInfo().getReasonPhrase();
        };
        return json(Response.fromResponse(refused), message);
    }

    /** 405, naming the methods the path does answer, in the body and in {@code Allow}. */
    public static Response methodNotAllowed(AllowedMethods allowed, String method, String path) {
        Optional<String> allow = allowed.allow(path);
        Response.ResponseBuilder answer = Response.status(Response.Status.METHOD_NOT_ALLOWED);
        allow.ifPresent(methods -> answer.header(HttpHeaders.ALLOW, methods));
        return json(
                answer,
                method + " is not allowed on " + path
                        + allow.map(methods -> "; it answers " + methods).orElse(""));
    }

    /**
     * OPTIONS, answered for the path asked about; the framework's own answer lists the methods of every path of a
     * resource class. Empty for other methods and for paths no resource has.
     */
    public static Optional<Response> options(AllowedMethods allowed, String method, String path) {
        if (!HttpMethod.OPTIONS.equals(method)) {
            return Optional.empty();
        }
        return allowed.allow(path)
                .map(allow ->
                        Response.noContent().header(HttpHeaders.ALLOW, allow).build());
    }

    private static Response json(Response.ResponseBuilder answer, String message) {
        return answer.type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message))
                .build();
    }
}
