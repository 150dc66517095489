package io.berrys.mesh.coordinator.transitions;

import io.berrys.mesh.coordinator.auth.Caller;
import io.berrys.mesh.coordinator.auth.CurrentCaller;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/transitions")
@Produces(MediaType.APPLICATION_JSON)
public class TransitionResource {

    private final TransitionLog log;
    private final CurrentCaller caller;

    public TransitionResource(TransitionLog log, CurrentCaller caller) {
        this.log = log;
        this.caller = caller;
    }

    @GET
    @Operation(summary = "Recent events consumed from mesh.transitions, newest first")
    @APIResponse(responseCode = "200", description = "The events, newest first")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    public Response recent(
            @Parameter(
                            description = "How many events",
                            schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "500"))
                    @QueryParam("limit")
                    @DefaultValue("50")
                    String limit,
            @QueryParam("releaseId") String releaseId) {
        Caller who = caller.get();
        if (!who.environments().contains("*")) {
            // The recent transitions of every environment: only for tokens that cover them all.
            return CurrentCaller.forbidden(who, "read the transitions of every environment");
        }
        int parsed;
        try {
            parsed = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            return badRequest("limit must be a whole number between 1 and " + TransitionLog.CAPACITY);
        }
        if (parsed < 1 || parsed > TransitionLog.CAPACITY) {
            return badRequest("limit must be between 1 and " + TransitionLog.CAPACITY + ", got " + parsed);
        }
        return Response.ok(log.recent(parsed, releaseId)).build();
    }

    private static Response badRequest(String message) {
        return Response.status(Response.Status.BAD_REQUEST)
                .entity(Map.of("error", message))
                .build();
    }
}
