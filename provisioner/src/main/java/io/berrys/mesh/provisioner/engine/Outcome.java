package io.berrys.mesh.provisioner.engine;

import io.berrys.mesh.provisioner.plan.Plan;
import java.util.List;

/**
 * What a plan, apply, destroy or drift check found and did.
 *
 * @param plan what was to be done when the run started
 * @param kept protected resources a destroy left in place
 */
public record Outcome(String action, Plan plan, List<String> kept) {

    public Outcome {
        kept = List.copyOf(kept);
    }

    public String summary() {
        return plan.summary();
    }
}
