package io.berrys.mesh.coordinator.api;

import io.berrys.mesh.coordinator.auth.Caller;
import io.berrys.mesh.coordinator.auth.CurrentCaller;
import io.berrys.mesh.coordinator.auth.Role;
import io.berrys.mesh.coordinator.orchestration.Orchestrator;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

@Path("/api/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private static final Logger LOG = Logger.getLogger(AdminResource.class);

    private final Orchestrator orchestrator;
    private final CurrentCaller caller;

    public AdminResource(Orchestrator orchestrator, CurrentCaller caller) {
        this.orchestrator = orchestrator;
        this.caller = caller;
    }

    @POST
    @Path("/rebuild")
    @Operation(summary = "Rebuild releases and stages from the event log (admin)")
    public Uni<Response> rebuild() {
        Caller who = caller.get();
        if (who.role() != Role.ADMIN || !who.environments().contains("*")) {
            return Uni.createFrom().item(CurrentCaller.forbidden(who, "rebuild projections"));
        }
        LOG.infof("Projections rebuild requested by %s", who.name());
        return orchestrator.rebuildProjections().map(rebuilt -> {
            LOG.infof("Projections rebuilt: %d events into %d releases", rebuilt.events(), rebuilt.releases());
            return Response.ok(rebuilt).build();
        });
    }
}
