package io.berrys.mesh.backup;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The backup-service's configuration, under {@code mesh.backup}. Databases are known by logical names; events
 * carry only the name, never a connection string or a credential:
 *
 * <pre>
 * mesh.backup.databases.platform.host=db.internal
 * mesh.backup.databases.platform.database=berrys
 * mesh.backup.databases.platform.user=backup
 * mesh.backup.databases.platform.password=${PLATFORM_DB_PASSWORD}
 * mesh.backup.databases.platform.rds-instance=berrys-prod
 * </pre>
 */
@ConfigMapping(prefix = "mesh.backup")
public interface BackupConfig {

    Map<String, Database> databases();

    S3 s3();

    /** When scheduled full backups of every database marked {@code scheduled} run (Quarkus cron). */
    @WithDefault("0 0 2 * * ?")
    String schedule();

    /** Backups older than this are deleted by the sweep, except the newest {@link #keepLast()}. */
    @WithDefault("30")
    int retentionDays();

    @WithDefault("7")
    int keepLast();

    /** How long pg_dump waits for a table another session holds locked before the backup fails. */
    @WithDefault("PT2M")
    Duration lockWaitTimeout();

    /** Where pg_dump, pg_restore and friends are; empty means the PATH. */
    Optional<String> pgBin();

    interface Database {
        @WithDefault("127.0.0.1")
        String host();

        @WithDefault("5432")
        int port();

        /** The database's name on its server. */
        String database();

        String user();

        Optional<String> password();

        /** The RDS instance this database lives on: snapshots and point-in-time restores go through the RDS API. */
        Optional<String> rdsInstance();

        /** Whether the daily schedule backs it up. */
        @WithDefault("true")
        boolean scheduled();
    }

    interface S3 {
        @WithDefault("berrys-mesh-backups")
        String bucket();

        @WithDefault("us-east-1")
        String region();

        /** A second bucket, in another region, that receives a copy of every backup. */
        @WithDefault("berrys-mesh-backups-replica")
        String replicaBucket();

        @WithDefault("us-west-2")
        String replicaRegion();

        /** An S3-compatible endpoint instead of AWS (path-style requests); unset for AWS itself. */
        Optional<String> endpoint();

        @WithDefault("backups/")
        String prefix();

        /** Size of each multipart upload part; an upload holds at most two. At least 5 MiB. */
        @WithDefault("16777216")
        int partSize();

        /**
         * Heap for the part buffers of all uploads together, in bytes (at least two parts). Small dumps need
         * little; large ones take two full parts each and wait for their turn when this is used up.
         */
        @WithDefault("33554432")
        long uploadMemory();

        @WithDefault("PT2M")
        Duration apiTimeout();

        /** How long a new RDS snapshot may take to become available before its copy to the second region. */
        @WithDefault("PT2H")
        Duration rdsSnapshotTimeout();
    }
}
