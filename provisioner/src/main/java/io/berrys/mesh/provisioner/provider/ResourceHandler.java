package io.berrys.mesh.provisioner.provider;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import java.util.List;
import java.util.Map;

/** One kind of resource a provider manages: how to find it by tag, read it in the spec's vocabulary, create, change and delete it. */
public interface ResourceHandler {

    Kind kind();

    /** Every resource of this kind tagged for the environment. */
    List<Found> find(Scope scope);

    /** Its attributes, named and valued as {@link io.berrys.mesh.provisioner.model.Blueprint} names them. */
    Map<String, Object> attributes(Found found, Names names);

    Created create(Scope scope, Resource desired, Names names, String token, Progress progress);

    void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress);

    void delete(Scope scope, Observed actual, Progress progress);
}
