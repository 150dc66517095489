package io.berrys.mesh.provisioner.engine;

import io.berrys.mesh.provisioner.plan.Change;
import java.util.List;

/** A plan would delete or replace protected resources, and nobody forced it. Nothing was changed. */
public class ProtectedResourcesException extends RuntimeException {

    private final List<Change> blocked;

    public ProtectedResourcesException(List<Change> blocked) {
        super("the plan would destroy protected resources: "
                + String.join("; ", blocked.stream().map(Change::line).toList())
                + ". Nothing was changed; force it to go ahead");
        this.blocked = List.copyOf(blocked);
    }

    public List<Change> blocked() {
        return blocked;
    }
}
