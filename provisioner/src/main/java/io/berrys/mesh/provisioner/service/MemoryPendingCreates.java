package io.berrys.mesh.provisioner.service;

import io.berrys.mesh.provisioner.engine.PendingCreates;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Create-pending markers kept by the running provisioner. A restart forgets them; the lookup by tag before every
 * retried create still finds a resource whose answer was lost, but one that was untagged when the process died is
 * only found by a person. Records in PostgreSQL are the fix (see the module README).
 */
final class MemoryPendingCreates implements PendingCreates {

    private final Map<String, String> tokens = new ConcurrentHashMap<>();

    @Override
    public Optional<String> token(String environment, String id) {
        return Optional.ofNullable(tokens.get(environment + "|" + id));
    }

    @Override
    public void begin(String environment, String id, String kind, String token) {
        tokens.put(environment + "|" + id, token);
    }

    @Override
    public void done(String environment, String id) {
        tokens.remove(environment + "|" + id);
    }
}
