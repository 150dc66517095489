package io.berrys.mesh.monitor.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berrys.mesh.events.json.JsonProblems;
import io.berrys.mesh.events.json.StrictScalars;
import io.berrys.mesh.monitor.BearerToken;
import io.berrys.mesh.monitor.MonitorConfig;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** Alertmanager's webhook receiver ({@code webhook_configs}, payload version 4), authenticated by a bearer token. */
@Path("/api/alerts")
public class AlertWebhookResource {

    private static final ObjectMapper JSON = StrictScalars.apply(new ObjectMapper());

    private final AlertIntake intake;
    private final MonitorConfig config;

    public AlertWebhookResource(AlertIntake intake, MonitorConfig config) {
        this.intake = intake;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Receive Alertmanager notifications; firing alerts may roll releases back")
    @SecurityRequirement(name = BearerToken.ALERT_TOKEN)
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = WebhookPayload.class)))
    @APIResponse(responseCode = "200", description = "What was done with each alert")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "401", ref = "Unauthorized")
    @APIResponse(responseCode = "503", description = "Not recorded (Redis unreachable): Alertmanager sends them again")
    public Uni<Response> receive(
            @Parameter(hidden = true) @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        long received = System.nanoTime();
        String refused = refusal(authorization);
        if (refused != null) {
            return Uni.createFrom()
                    .item(Response.status(Response.Status.UNAUTHORIZED)
                            .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"monitor-service\"")
                            .entity(error(refused))
                            .build());
        }
        WebhookPayload payload;
        try {
            payload = JSON.readValue(body, WebhookPayload.class);
        } catch (JsonProcessingException e) {
            return badRequest(List.of("the body is not an Alertmanager webhook payload: " + JsonProblems.describe(e)));
        } catch (java.io.IOException e) {
            return badRequest(List.of("the body could not be read: " + e.getMessage()));
        }
        if (payload == null) {
            return badRequest(List.of("the body is empty"));
        }
        List<String> problems = payload.problems();
        if (!problems.isEmpty()) {
            return badRequest(problems);
        }
        return Uni.createFrom()
                .completionStage(() -> intake.handle(payload, received))
                .map(handled -> Response.ok(handled).build())
                .onFailure(IllegalArgumentException.class)
                .recoverWithUni(failure -> badRequest(List.of("an alert is not usable: " + failure.getMessage())))
                .onFailure()
                .recoverWithItem(failure -> Response.status(Response.Status.SERVICE_UNAVAILABLE)
                        .entity(error("the alerts were not recorded, send them again: " + failure.getMessage()))
                        .build());
    }

    private String refusal(String authorization) {
        return BearerToken.refusal(
                authorization,
                config.webhookToken(),
                "no webhook token is configured (mesh.monitor.webhook-token, MESH_ALERT_TOKEN)");
    }

    private static Uni<Response> badRequest(List<String> problems) {
        return Uni.createFrom()
                .item(Response.status(Response.Status.BAD_REQUEST)
                        .entity(Map.of("error", String.join("; ", problems), "problems", problems))
                        .build());
    }

    private static Map<String, String> error(String message) {
        return Map.of("error", message);
    }
}
