package io.berrys.mesh.rollout.kube;

/**
 * Labels and annotations the rollout-service reads and writes. A rollout's progress lives in annotations on the new
 * version's Deployment, not in memory, so a restarted service picks up where the last one stopped.
 */
public final class Marks {

    private static final String PREFIX = "mesh.berrys.io/";

    /** Standard label naming the service a Deployment, pod or Service belongs to. */
    public static final String APP = "app.kubernetes.io/name";
    /** Pod-template and selector label telling the two versions apart: {@code blue} or {@code green}. */
    public static final String COLOUR = PREFIX + "colour";
    /** Set on every object the rollout-service created. */
    public static final String MANAGED = PREFIX + "managed-by";

    public static final String RELEASE_ID = PREFIX + "release-id";
    public static final String VERSION = PREFIX + "version";
    public static final String TRIGGERED_ID = PREFIX + "triggered-id";
    /** One of {@link Phase}'s values. */
    public static final String PHASE = PREFIX + "phase";
    /** Traffic share of the new version last put in place, in percent. */
    public static final String WEIGHT = PREFIX + "weight";
    /** {@code true} on the Deployment that serves traffic (the active colour). */
    public static final String ACTIVE = PREFIX + "active";
    /** On the new version: the Deployment it replaces. */
    public static final String REPLACES = PREFIX + "replaces";
    /** On the previous version after promotion: until when it stays warm for an instant rollback. */
    public static final String WARM_UNTIL = PREFIX + "warm-until";
    /** On a decommissioned previous version: when it is deleted. */
    public static final String DELETE_AFTER = PREFIX + "delete-after";
    /** Replica count before the window's end scaled it to zero, for whoever scales it back by hand. */
    public static final String REPLICAS_BEFORE = PREFIX + "replicas-before";
    /** On the new version: container restarts counted when traffic first reached it. */
    public static final String RESTARTS_BASELINE = PREFIX + "restarts-baseline";
    /** The latest step verification's result, as {@code <verification id>\n<RESULT>\n<message>}. */
    public static final String STEP_VERDICTS = PREFIX + "step-verdicts";

    /** On the new version: the router its rollout uses, so a configuration change never strands a rollout. */
    public static final String ROUTER = PREFIX + "router";
    /** On the new version: what a rollback after the window redeploys. */
    public static final String PREVIOUS_IMAGE = PREFIX + "previous-image";

    public static final String PREVIOUS_VERSION = PREFIX + "previous-version";
    /** Why the release was aborted: the rollout stops at its next check and sends traffic back. */
    public static final String ABORT = PREFIX + "abort";
    /** How the rollout ended, for a redelivered command to answer the same. */
    public static final String OUTCOME = PREFIX + "outcome";

    public static final String SERVICE_NAME = "rollout-service";

    private Marks() {}

    /** Where a rollout stands; written before each step is taken, so re-applying a step is always safe. */
    public enum Phase {
        PREPARING,
        SMOKE_TESTING,
        SHIFTING,
        BAKING,
        PROMOTED,
        ROLLING_BACK,
        ROLLED_BACK,
        FAILED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        public static Phase parse(String wire) {
            if (wire == null) {
                return null;
            }
            for (Phase phase : values()) {
                if (phase.wire().equals(wire)) {
                    return phase;
                }
            }
            return null;
        }

        public boolean inFlight() {
            return this == PREPARING || this == SMOKE_TESTING || this == SHIFTING || this == BAKING;
        }
    }
}
