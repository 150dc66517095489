package io.berrys.mesh.coordinator.api;

import io.berrys.mesh.coordinator.auth.Caller;
import io.berrys.mesh.coordinator.auth.CurrentCaller;
import io.berrys.mesh.coordinator.auth.Role;
import io.berrys.mesh.coordinator.orchestration.ProjectionRebuild;
import io.berrys.mesh.coordinator.pipeline.CoordinatorConfig;
import io.berrys.mesh.coordinator.store.RebuildJob;
import io.berrys.mesh.coordinator.store.RebuildJobStore;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private final ProjectionRebuild rebuild;
    private final RebuildJobStore jobs;
    private final CurrentCaller caller;
    private final Duration staleAfter;

    public AdminResource(
            ProjectionRebuild rebuild, RebuildJobStore jobs, CurrentCaller caller, CoordinatorConfig config) {
        this.rebuild = rebuild;
        this.jobs = jobs;
        this.caller = caller;
        this.staleAfter = config.rebuild().staleAfter();
    }

    @POST
    @Path("/rebuild")
    @Operation(
            summary = "Start rebuilding releases and stages from the event log (admin); follow it at the Location"
                    + " returned. Live processing goes on meanwhile.")
    @APIResponse(
            responseCode = "202",
            description = "Started; its status is at the Location",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = RebuildJob.class)))
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<Response> rebuild() {
        Caller who = caller.get();
        if (!mayRebuild(who)) {
            return Uni.createFrom().item(CurrentCaller.forbidden(who, "rebuild projections"));
        }
        return rebuild.start(who.name())
                .map(job -> Response.accepted(job).location(location(job)).build())
                .onFailure(RebuildJobStore.AlreadyRunning.class)
                .recoverWithItem(failure -> {
                    RebuildJob running = ((RebuildJobStore.AlreadyRunning) failure).running();
                    return Response.status(Response.Status.CONFLICT)
                            .entity(new ApiError("a rebuild is already running: " + running.id() + " (GET "
                                    + location(running) + ")"))
                            .location(location(running))
                            .build();
                });
    }

    @GET
    @Path("/rebuilds/{id}")
    @Operation(summary = "A rebuild's progress: events replayed, rate, estimate, and its outcome (admin)")
    @APIResponse(
            responseCode = "200",
            description = "The rebuild",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = RebuildJob.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> rebuildStatus(@PathParam("id") String id) {
        Caller who = caller.get();
        if (!mayRebuild(who)) {
            return Uni.createFrom().item(CurrentCaller.forbidden(who, "read rebuilds"));
        }
        if (!ApiError.couldBeStored(id)) {
            return Uni.createFrom().item(ApiError.response(Response.Status.NOT_FOUND, "no rebuild " + id));
        }
        return jobs.find(id, staleAfter)
                .map(job -> job == null
                        ? ApiError.response(Response.Status.NOT_FOUND, "no rebuild " + id)
                        : Response.ok(job).build());
    }

    private static boolean mayRebuild(Caller who) {
        return who.role() == Role.ADMIN && who.environments().contains("*");
    }

    private static URI location(RebuildJob job) {
        return URI.create("/api/admin/rebuilds/" + job.id());
    }
}
