package io.berrys.mesh.provisioner.engine;

import java.util.Optional;

/**
 * "Create pending" markers, written before each create and cleared once the resource is known: after a crash, the
 * marker's token goes to the next attempt, so an API that takes client tokens makes the resource once.
 */
public interface PendingCreates {

    /** The token of a create of this resource that was begun and never confirmed. */
    Optional<String> token(String environment, String id);

    void begin(String environment, String id, String kind, String token);

    void done(String environment, String id);
}
