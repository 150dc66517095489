package io.berrys.mesh.monitor.releases;

import io.berrys.mesh.monitor.BearerToken;
import io.berrys.mesh.monitor.MonitorConfig;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/**
 * What the monitor-service believes is live: the releases an alert would roll back right now. Operators' token
 * only: it names what runs where.
 */
@Path("/api/live-releases")
public class LiveReleasesResource {

    private final LiveReleases releases;
    private final MonitorConfig config;

    public LiveReleasesResource(LiveReleases releases, MonitorConfig config) {
        this.releases = releases;
        this.config = config;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Releases an alert would roll back now, from the monitor's own projection of mesh.transitions")
    @SecurityRequirement(name = BearerToken.API_TOKEN)
    @APIResponse(
            responseCode = "200",
            description = "The live releases",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(type = SchemaType.ARRAY, implementation = LiveReleases.Live.class)))
    @APIResponse(responseCode = "401", ref = "Unauthorized")
    public Response list(
            @Parameter(hidden = true) @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("environment") String environment) {
        String refused = BearerToken.refusal(
                authorization,
                config.apiToken(),
                "no API token is configured (mesh.monitor.api-token, MESH_API_TOKEN)");
        if (refused != null) {
            return Response.status(Response.Status.UNAUTHORIZED)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"monitor-service\"")
                    .entity(Map.of("error", refused))
                    .build();
        }
        Instant now = Instant.now();
        return Response.ok(releases.all().stream()
                        .filter(live -> live.rollbackable(now))
                        .filter(live -> environment == null || environment.equals(live.environment()))
                        .toList())
                .build();
    }
}
