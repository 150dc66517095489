package io.berrys.mesh.rollout.kube;

/**
 * The cluster is not in a state a rollout can start from (no live Deployment, no colour label, an unknown router).
 * Raised before anything is changed, so the task fails with this message and nothing is left half-applied.
 */
public class RolloutRejected extends RuntimeException {
    public RolloutRejected(String message) {
        super(message);
    }
}
