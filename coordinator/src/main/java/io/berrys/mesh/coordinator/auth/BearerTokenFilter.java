package io.berrys.mesh.coordinator.auth;

import io.berrys.mesh.coordinator.api.ApiError;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Every {@code /api} request carries {@code Authorization: Bearer <token>}; the caller is attached to it. */
public class BearerTokenFilter {

    private final ApiTokens tokens;
    private final CurrentCaller current;

    public BearerTokenFilter(ApiTokens tokens, CurrentCaller current) {
        this.tokens = tokens;
        this.current = current;
    }

    @ServerRequestFilter
    public Optional<Response> authenticate(ContainerRequestContext request) {
        if (!request.getUriInfo().getPath().startsWith("/api")) {
            return Optional.empty();
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            return Optional.of(unauthorized("send an API token as 'Authorization: Bearer <token>'"));
        }
        Optional<Caller> caller = tokens.authenticate(header.substring(7).trim());
        if (caller.isEmpty()) {
            return Optional.of(unauthorized("the API token is not valid"));
        }
        current.set(caller.get());
        return Optional.empty();
    }

    private static Response unauthorized(String message) {
        return Response.fromResponse(ApiError.response(Response.Status.UNAUTHORIZED, message))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"berrys-deploy-mesh\"")
                .build();
    }
}
