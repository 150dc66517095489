package io.berrys.mesh.monitor.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Alertmanager's webhook receiver ({@code webhook_configs}, payload version 4), authenticated by a bearer token. */
@Path("/api/alerts")
public class AlertWebhookResource {

    private static final ObjectMapper JSON = new ObjectMapper();

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
    public Uni<Response> receive(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
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
            return badRequest(List.of("the body is not an Alertmanager webhook payload: " + e.getOriginalMessage()));
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
                .onFailure()
                .recoverWithItem(failure -> Response.status(Response.Status.SERVICE_UNAVAILABLE)
                        .entity(error("the alerts were not recorded, send them again: " + failure.getMessage()))
                        .build());
    }

    /** Why the caller is refused, or null. The token is compared in constant time and never echoed. */
    private String refusal(String authorization) {
        String expected = config.webhookToken().orElse("");
        if (expected.isBlank()) {
            return "no webhook token is configured (mesh.monitor.webhook-token, MESH_ALERT_TOKEN)";
        }
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return "an Authorization: Bearer header is required";
        }
        byte[] given = authorization.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8))) {
            return "the bearer token is not valid";
        }
        return null;
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
