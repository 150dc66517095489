package io.berrys.mesh.coordinator.api;

import java.util.List;

/** Body of {@code POST /api/releases}. */
public record PublishRequest(
        String environment,
        String service,
        String version,
        String image,
        List<String> databases,
        String migrations,
        Boolean requiresDowntime) {}
