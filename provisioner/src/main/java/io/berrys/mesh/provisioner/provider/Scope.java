package io.berrys.mesh.provisioner.provider;

import java.util.List;

/** The environment a provider works for, and the regions its resources may live in. */
public record Scope(String environment, String region, List<String> regions) {}
