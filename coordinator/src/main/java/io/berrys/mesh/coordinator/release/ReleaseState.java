package io.berrys.mesh.coordinator.release;

/** Where a release is (docs/architecture.md, "Release pipeline"). */
public enum ReleaseState {
    /** Waiting for the release ahead of it on the same environment and service. */
    QUEUED,
    /** A stage of the pipeline is triggered or running. */
    RUNNING,
    /** Held at the pipeline's approval gate until someone approves. */
    WAITING_APPROVAL,
    /** Needs downtime and waits for the next maintenance window. */
    WAITING_WINDOW,
    /** Stopped by a person between stages; resumes where it stopped. */
    PAUSED,
    /** Traffic is going back to the previous version. */
    ROLLING_BACK,
    SUCCEEDED,
    ROLLED_BACK,
    FAILED,
    ABORTED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == ROLLED_BACK || this == FAILED || this == ABORTED;
    }

    /** Holds the (environment, service) slot: at most one such release at a time. */
    public boolean isActive() {
        return this == RUNNING
                || this == WAITING_APPROVAL
                || this == WAITING_WINDOW
                || this == PAUSED
                || this == ROLLING_BACK;
    }
}
