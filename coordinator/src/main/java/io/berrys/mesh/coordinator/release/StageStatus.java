package io.berrys.mesh.coordinator.release;

public enum StageStatus {
    PENDING,
    /** The command is out; the owner has not said it started. */
    TRIGGERED,
    RUNNING,
    PASSED,
    WARNED,
    FAILED,
    /** Nothing to do for this release (no database to back up or migrate). */
    SKIPPED;

    public boolean isOpen() {
        return this == TRIGGERED || this == RUNNING;
    }

    public boolean isDone() {
        return this == PASSED || this == WARNED || this == FAILED || this == SKIPPED;
    }
}
