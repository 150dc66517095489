package io.berrys.mesh.provisioner.provider;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The physical ids and outputs of an environment's resources: filled by an observation, then by each create of an
 * apply, so later resources can name earlier ones. Safe for the parallel steps of one wave.
 */
public final class Inventory implements Names {

    private final Map<String, String> physical = new ConcurrentHashMap<>();
    private final Map<String, String> logical = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> outputs = new ConcurrentHashMap<>();

    public void put(String logicalId, String physicalId, Map<String, String> resourceOutputs) {
        String previous = physical.put(logicalId, physicalId);
        if (previous != null) {
            logical.remove(previous);
        }
        logical.put(physicalId, logicalId);
        outputs.put(logicalId, Map.copyOf(resourceOutputs));
    }

    public void remove(String logicalId) {
        String previous = physical.remove(logicalId);
        if (previous != null) {
            logical.remove(previous);
        }
        outputs.remove(logicalId);
    }

    @Override
    public String physical(String logicalId) {
        String id = physical.get(logicalId);
        if (id == null) {
            throw new IllegalStateException(logicalId + " does not exist yet; it must be created first");
        }
        return id;
    }

    @Override
    public String logical(String physicalId) {
        return physicalId == null ? "" : logical.getOrDefault(physicalId, "external:" + physicalId);
    }

    @Override
    public String output(String logicalId, String name) {
        String value = outputs.getOrDefault(logicalId, Map.of()).get(name);
        if (value == null) {
            throw new IllegalStateException(logicalId + " has no output '" + name + "'");
        }
        return value;
    }
}
