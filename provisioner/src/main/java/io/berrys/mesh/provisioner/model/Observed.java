package io.berrys.mesh.provisioner.model;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * One resource as the cloud has it, found by its environment tag: its physical id, its attributes in the same
 * vocabulary as {@link Resource} (references already turned back into logical ids), and outputs other resources
 * need (endpoints, ARNs).
 */
public record Observed(
        String id,
        Kind kind,
        String physicalId,
        SortedMap<String, Object> attributes,
        Map<String, String> outputs,
        boolean protect) {

    public Observed {
        attributes = Collections.unmodifiableSortedMap(Resource.normalise(attributes));
        outputs = Map.copyOf(outputs);
    }

    public Set<String> dependencies() {
        return Resource.references(kind, attributes, id);
    }
}
