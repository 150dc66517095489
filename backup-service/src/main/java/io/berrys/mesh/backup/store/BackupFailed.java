package io.berrys.mesh.backup.store;

/** A backup, verification or restore that cannot succeed; its message is the task's finished message. */
public class BackupFailed extends Exception {
    public BackupFailed(String message) {
        super(message);
    }

    public BackupFailed(String message, Throwable cause) {
        super(message, cause);
    }
}
