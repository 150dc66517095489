package io.berrys.mesh.migration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The migration-service's configuration, under {@code mesh.migration}. Databases are known by the logical names
 * releases use (the same names as the backup-service's); credentials come from the environment only.
 */
@ConfigMapping(prefix = "mesh.migration")
public interface MigrationConfig {

    Map<String, Database> databases();

    /** Lint policy by environment: {@code fail} (the default) or {@code warn}. */
    Map<String, Environment> environments();

    @WithDefault("fail")
    String lint();

    /** How far back {@code mesh.transitions} is searched for this release's verified backup. */
    @WithDefault("PT24H")
    Duration backupLookback();

    S3 s3();

    /** Where {@code mesh.backup.finished} events are looked up. */
    @WithDefault("mesh.transitions")
    String transitionsStream();

    interface Database {
        @WithDefault("127.0.0.1")
        String host();

        @WithDefault("5432")
        int port();

        String database();

        String user();

        Optional<String> password();
    }

    interface Environment {
        Optional<String> lint();
    }

    interface S3 {
        /** An S3-compatible endpoint (path-style) for migration sets CI uploaded; unset for AWS. */
        Optional<String> endpoint();

        @WithDefault("us-east-1")
        String region();
    }
}
