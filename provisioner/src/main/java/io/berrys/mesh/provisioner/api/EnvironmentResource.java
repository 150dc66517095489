package io.berrys.mesh.provisioner.api;

import io.berrys.mesh.provisioner.service.Runs;
import io.berrys.mesh.provisioner.service.Runs.Action;
import io.berrys.mesh.provisioner.service.Runs.Run;
import io.berrys.mesh.provisioner.spec.SpecInvalidException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Plans, applies, drift checks and destroys of the environments whose specs the provisioner reads. */
@Path("/environments/{environment}/runs")
@Produces(MediaType.APPLICATION_JSON)
public class EnvironmentResource {

    /** What to run: plan, apply, drift or destroy; force lets an apply replace, or a destroy delete, protected resources. */
    public record RunRequest(String action, Boolean force) {}

    /** A run and the progress lines from {@code after} on; {@code next} is what to pass as {@code after} next time. */
    public record RunView(
            String id,
            String environment,
            String action,
            boolean force,
            String state,
            Instant startedAt,
            Instant finishedAt,
            String summary,
            int pending,
            List<String> diff,
            List<String> lines,
            int next,
            String error) {

        static RunView of(Run run, int after) {
            return new RunView(
                    run.id,
                    run.environment,
                    run.action.label(),
                    run.force,
                    run.state().name(),
                    run.startedAt,
                    run.finishedAt().orElse(null),
                    run.summary(),
                    run.pending(),
                    run.diff(),
                    run.lines(after),
                    run.lineCount(),
                    run.error().orElse(null));
        }
    }

    public record Refusal(String error, String field) {}

    @Inject
    Runs runs;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Start a plan, apply, drift check or destroy of an environment; follow it with GET")
    public Response start(@PathParam("environment") String environment, RunRequest request) {
        if (request == null || request.action() == null) {
            return refuse(400, "action is required: one of plan, apply, drift, destroy", "action");
        }
        var action = Action.of(request.action());
        if (action.isEmpty()) {
            return refuse(
                    400,
                    "action must be one of plan, apply, drift, destroy (got '" + request.action() + "')",
                    "action");
        }
        boolean force = Boolean.TRUE.equals(request.force());
        if (force && (action.get() == Action.PLAN || action.get() == Action.DRIFT)) {
            return refuse(400, "force only goes with apply or destroy", "force");
        }
        try {
            Run run = runs.start(environment, action.get(), force);
            return Response.accepted(RunView.of(run, 0)).build();
        } catch (SpecInvalidException e) {
            return Response.status(400)
                    .entity(new SpecResource.Invalid(e.getMessage(), e.violations()))
                    .build();
        } catch (Runs.UnknownEnvironmentException e) {
            return refuse(404, e.getMessage(), "environment");
        } catch (Runs.EnvironmentBusyException e) {
            return refuse(409, e.getMessage(), "environment");
        }
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "A run's state, outcome and progress lines (from 'after' on)")
    public Response get(
            @PathParam("environment") String environment,
            @PathParam("id") String id,
            @QueryParam("after") Integer after) {
        return runs.run(environment, id)
                .map(run ->
                        Response.ok(RunView.of(run, after == null ? 0 : after)).build())
                .orElseGet(() -> refuse(404, "no run " + id + " of environment " + environment, "id"));
    }

    private static Response refuse(int status, String message, String field) {
        return Response.status(status).entity(new Refusal(message, field)).build();
    }
}
