package io.berrys.mesh.coordinator.store;

/** Another writer (a replica, a second copy of a channel) changed the release since this transaction read it. */
public class ConcurrentUpdateException extends RuntimeException {

    public ConcurrentUpdateException(String releaseId, long readVersion) {
        super("release " + releaseId + " changed since it was read at version " + readVersion);
    }
}
