package io.berrys.mesh.events.catalog;

import java.util.List;

/**
 * Payload of {@code mesh.release.published}: CI (or the API) asks for a version of a service in an environment.
 * {@code migrations} names the Flyway script set to apply (a directory, classpath location or S3 prefix), if any.
 */
public record ReleasePublished(
        String environment,
        String service,
        String version,
        String image,
        List<String> databases,
        String migrations,
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
