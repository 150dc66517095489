package io.berrys.mesh.monitor.releases;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** What the monitor-service believes is live: the releases an alert would roll back right now. */
@Path("/api/live-releases")
public class LiveReleasesResource {

    private final LiveReleases releases;

    public LiveReleasesResource(LiveReleases releases) {
        this.releases = releases;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Releases an alert would roll back now, from the monitor's own projection of mesh.transitions")
    public List<LiveReleases.Live> list(@QueryParam("environment") String environment) {
        Instant now = Instant.now();
        return releases.all().stream()
                .filter(live -> live.rollbackable(now))
                .filter(live -> environment == null || environment.equals(live.environment()))
                .toList();
    }
}
