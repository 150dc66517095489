package io.berrys.mesh.coordinator.release;

/** A trigger that the release's current state does not allow; the message says both. */
public class IllegalTransitionException extends RuntimeException {
    private final ReleaseState from;
    private final ReleaseTrigger trigger;

    public IllegalTransitionException(ReleaseState from, ReleaseTrigger trigger) {
        super("a release that is " + from + " cannot "
                + trigger.name().toLowerCase().replace('_', ' '));
        this.from = from;
        this.trigger = trigger;
    }

    public ReleaseState from() {
        return from;
    }

    public ReleaseTrigger trigger() {
        return trigger;
    }
}
