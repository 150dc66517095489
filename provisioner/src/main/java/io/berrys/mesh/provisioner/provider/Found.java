package io.berrys.mesh.provisioner.provider;

import java.util.Map;
import java.util.Optional;

/**
 * A resource a handler found by its environment tag, before its attributes are read: they may name other
 * resources, whose logical ids are only known once everything is found.
 */
public record Found(String id, String physicalId, Object raw, Map<String, String> outputs, boolean protect) {

    /**
     * Empty for a resource of another environment (a server-side tag filter is not trusted: some APIs ignore it) or
     * without a logical-id tag (not ours to plan: someone tagged it by hand).
     */
    public static Optional<Found> of(
            Scope scope, Map<String, String> tags, String physicalId, Object raw, Map<String, String> outputs) {
        if (!scope.environment().equals(tags.get(Tags.ENVIRONMENT))) {
            return Optional.empty();
        }
        String id = tags.get(Tags.LOGICAL_ID);
        if (id == null || id.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new Found(id, physicalId, raw, outputs, "true".equals(tags.get(Tags.PROTECT))));
    }
}
