package io.berrys.mesh.provisioner.provider;

import java.util.Map;

/** A resource a provider made: its physical id and the outputs other resources need (endpoints, ARNs). */
public record Created(String physicalId, Map<String, String> outputs) {
    public Created {
        outputs = Map.copyOf(outputs);
    }
}
