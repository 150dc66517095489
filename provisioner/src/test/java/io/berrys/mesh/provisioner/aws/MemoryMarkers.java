package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.engine.PendingCreates;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Create-pending markers kept in memory, for tests and benchmarks about the provider, not the records. */
public final class MemoryMarkers implements PendingCreates {

    public final Map<String, String> tokens = new ConcurrentHashMap<>();

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
