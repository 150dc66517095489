package io.berrys.mesh.coordinator.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.berrys.mesh.coordinator.transitions.TransitionResource;
import io.berrys.mesh.events.http.AllowedMethods;
import io.berrys.mesh.events.http.Refusals;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** The API's answers to requests it could not take, as {@link Refusals} words them. */
public class ApiErrors {

    private static final AllowedMethods ALLOWED =
            AllowedMethods.of(ReleaseResource.class, AdminResource.class, TransitionResource.class);

    @ServerExceptionMapper
    public Response unreadableBody(JsonProcessingException failure) {
        return Refusals.unreadableBody(failure);
    }

    /** Named as well: the JSON support maps these itself, with Jackson's message, unless a closer mapper exists. */
    @ServerExceptionMapper
    public Response mismatchedBody(MismatchedInputException failure) {
        return Refusals.unreadableBody(failure);
    }

    @ServerExceptionMapper
    public Response brokenBody(JsonParseException failure) {
        return Refusals.unreadableBody(failure);
    }

    @ServerExceptionMapper
    public Response bareRefusal(WebApplicationException failure) {
        return Refusals.bare(failure);
    }

    @ServerExceptionMapper
    public Response methodNotAllowed(NotAllowedException failure, UriInfo uri, Request request) {
        return Refusals.methodNotAllowed(ALLOWED, request.getMethod(), uri.getPath());
    }

    @ServerRequestFilter(preMatching = true)
    public Optional<Response> options(ContainerRequestContext request) {
        return Refusals.options(
                ALLOWED, request.getMethod(), request.getUriInfo().getPath());
    }
}
