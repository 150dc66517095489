package io.berrys.mesh.provisioner.spec;

/** One broken rule of a spec: the key (a path such as {@code network.subnets.private[1]}) and what is wrong. */
public record Violation(String key, String rule) {
    @Override
    public String toString() {
        return key + ": " + rule;
    }
}
