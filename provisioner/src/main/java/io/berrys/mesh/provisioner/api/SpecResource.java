package io.berrys.mesh.provisioner.api;

import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Change;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.plan.Planner;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec;
import io.berrys.mesh.provisioner.spec.SpecInvalidException;
import io.berrys.mesh.provisioner.spec.SpecReader;
import io.berrys.mesh.provisioner.spec.Violation;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Checks an environment spec without touching any cloud: the rules, and the resources it stands for. */
@Path("/specs")
public class SpecResource {

    /** The answer to a valid spec. */
    public record Checked(String environment, String provider, int resources, List<Planned> plan) {}

    /** One resource of the spec, in the order an apply from nothing would create it. */
    public record Planned(String id, String kind, boolean protect, int level) {}

    /** The answer to an invalid spec: every broken rule, by key. */
    public record Invalid(String error, List<Violation> violations) {}

    @POST
    @Path("/check")
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml", MediaType.TEXT_PLAIN})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Validate an environment spec (YAML) and list the resources it stands for")
    public Response check(String yaml) {
        try {
            EnvironmentSpec spec = SpecReader.read("the spec", yaml);
            List<Resource> resources = Blueprint.of(spec);
            Plan plan = Planner.plan(resources, Map.of());
            List<Planned> planned = plan.changes().stream()
                    .map((Change c) -> new Planned(c.id(), c.kind().label(), c.protect(), c.level()))
                    .toList();
            return Response.ok(new Checked(
                            spec.environment(),
                            spec.provider().name().toLowerCase(java.util.Locale.ROOT),
                            resources.size(),
                            planned))
                    .build();
        } catch (SpecInvalidException e) {
            return Response.status(Response.Status.BAD_REQUEST)
                    .type(MediaType.APPLICATION_JSON)
                    .entity(new Invalid(e.getMessage(), e.violations()))
                    .build();
        }
    }
}
