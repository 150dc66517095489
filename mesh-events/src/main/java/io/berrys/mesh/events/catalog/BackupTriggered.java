package io.berrys.mesh.events.catalog;

/**
 * Payload of {@code mesh.backup.triggered}. The database is a logical name resolved by the backup-service's
 * configuration: credentials never travel in events. {@code verify} is {@code full} or {@code quick}.
 */
public record BackupTriggered(String environment, String service, String database, String verify) {
    public BackupTriggered {
        Require.text(environment, "environment");
        Require.text(database, "database");
        verify = verify == null ? "full" : verify;
        if (!verify.equals("full") && !verify.equals("quick")) {
            throw new IllegalArgumentException("'verify' must be full or quick, got '" + verify + "'");
        }
    }
}
