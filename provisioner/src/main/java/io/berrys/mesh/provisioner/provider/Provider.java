package io.berrys.mesh.provisioner.provider;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where an environment's resources live (AWS, or this machine for the {@code local} provider). The engine decides
 * what to do; a provider only reads and changes resources, one at a time, and never keeps state of its own: what it
 * made is found again by its tags.
 */
public interface Provider {

    /** Every resource of the environment, found by its environment tag, keyed by logical id. */
    Map<String, Observed> observe(Scope scope);

    /** One resource by logical id: after a create whose answer was lost, did it happen? */
    Optional<Observed> find(Scope scope, Kind kind, String id);

    /**
     * Creates the resource with its tags (atomically where the API allows), passing {@code token} where the API
     * takes a client token, and waits until it is usable.
     */
    Created create(Scope scope, Resource desired, Names names, String token, Progress progress);

    /** Changes the attributes in place; every change listed can be made without a replace. */
    void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress);

    /** Deletes it and waits until it is gone; a resource already gone is not an error. */
    void delete(Scope scope, Observed actual, Progress progress);

    /**
     * A failure that may pass if the call is made again (a lost connection, throttling, a server error), as
     * opposed to a refusal. After a create fails this way, the create may have happened anyway.
     */
    boolean transientFailure(RuntimeException failure);
}
