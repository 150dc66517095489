package io.berrys.mesh.coordinator.release;

/** What makes a release change state. */
public enum ReleaseTrigger {
    /** Its slot is free (or it never queued) and nothing holds it: the first stage starts. */
    START,
    /** Its slot is free but the pipeline has an approval gate. */
    HOLD_FOR_APPROVAL,
    /** Its slot is free but it needs downtime outside a maintenance window. */
    HOLD_FOR_WINDOW,
    APPROVE,
    WINDOW_OPENED,
    /** A stage finished pass or warning and another one follows. */
    NEXT_STAGE,
    /** The last stage finished pass or warning. */
    COMPLETE,
    /** A stage failed (or timed out) before traffic moved. */
    FAIL,
    /** A stage failed after traffic moved, or someone asked for a rollback. */
    ROLLBACK,
    ROLLBACK_FINISHED,
    ROLLBACK_FAILED,
    PAUSE,
    RESUME,
    /** Someone aborted it, or a newer release superseded it in the queue. */
    ABORT
}
