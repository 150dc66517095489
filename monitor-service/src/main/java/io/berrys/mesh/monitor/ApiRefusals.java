package io.berrys.mesh.monitor;

import io.berrys.mesh.events.http.AllowedMethods;
import io.berrys.mesh.events.http.OpenApiDocuments;
import io.berrys.mesh.events.http.Refusals;
import io.berrys.mesh.monitor.alerts.AlertWebhookResource;
import io.berrys.mesh.monitor.releases.LiveReleasesResource;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The monitor-service API's answers to requests it cannot take, as {@link Refusals} words them, and what its API
 * document must say beyond the annotations (optional properties may be null).
 */
public class ApiRefusals implements OASFilter {

    private static final AllowedMethods ALLOWED =
            AllowedMethods.of(AlertWebhookResource.class, LiveReleasesResource.class);

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

    @Override
    public void filterOpenAPI(OpenAPI document) {
        Components components =
                document.getComponents() == null ? OASFactory.createComponents() : document.getComponents();
        document.setComponents(components);
        OpenApiDocuments.bearerScheme(
                components, BearerToken.ALERT_TOKEN, "Alertmanager's token (mesh.monitor.webhook-token)");
        OpenApiDocuments.bearerScheme(
                components, BearerToken.API_TOKEN, "The operators' API token (mesh.monitor.api-token)");
        OpenApiDocuments.errorResponses(
                components,
                Map.of(
                        "BadRequest", "The body or a parameter breaks a rule; the message names it",
                        "Unauthorized", "No bearer token, or not the right one"));
        OpenApiDocuments.optionalMayBeNull(components);
    }
}
