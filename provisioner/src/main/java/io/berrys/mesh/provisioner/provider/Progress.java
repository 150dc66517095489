package io.berrys.mesh.provisioner.provider;

/** Where a long step says how far it is ("waiting for db-instance/primary: creating, 40 s"). */
@FunctionalInterface
public interface Progress {
    void report(String message);
}
