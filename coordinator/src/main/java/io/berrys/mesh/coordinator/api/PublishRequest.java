package io.berrys.mesh.coordinator.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /api/releases}; the schema states the rules {@link PublishValidation} checks. */
public record PublishRequest(
        @Schema(required = true, description = "An environment with a pipeline")
        String environment,

        @Schema(required = true, description = "A DNS label", pattern = PublishValidation.SERVICE_RULE)
        String service,

        @Schema(required = true, pattern = PublishValidation.VERSION_RULE)
        String version,

        @Schema(
                required = true,
                description = "registry/name:tag or @sha256:digest",
                pattern = PublishValidation.IMAGE_RULE,
                maxLength = PublishValidation.MAX_IMAGE)
        String image,

        @Schema(
                description = "Logical databases the release backs up and migrates; each a lower-case identifier",
                maxItems = PublishValidation.MAX_DATABASES)
        List<String> databases,

        @Schema(
                description = "Where its migration scripts are (classpath: or filesystem:)",
                maxLength = PublishValidation.MAX_MIGRATIONS)
        String migrations,

        @Schema(description = "The release needs a maintenance window")
        Boolean requiresDowntime) {}
