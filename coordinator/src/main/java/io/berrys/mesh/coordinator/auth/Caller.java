package io.berrys.mesh.coordinator.auth;

import java.util.Set;

/** Who is calling: the token's name (recorded as the actor), its role and the environments it covers. */
public record Caller(String name, Role role, Set<String> environments) {

    public boolean covers(String environment) {
        return environments.contains("*") || environments.contains(environment);
    }
}
