package io.berrys.mesh.events.catalog;

import java.util.List;

/** Payload of {@code mesh.release.published}: CI (or the API) asks for a version of a service in an environment. */
public record ReleasePublished(
        String environment,
        String service,
        String version,
        String image,
        List<String> databases,
        boolean requiresDowntime,
        String requestedBy) {
    public ReleasePublished {
        Require.text(environment, "environment");
        Require.text(service, "service");
        Require.text(version, "version");
        Require.text(image, "image");
        databases = Require.listOrEmpty(databases);
    }
}
