package io.berrys.mesh.backup.store;

import java.util.Map;

/**
 * What is known of a backup, stored next to it as {@code <key>.manifest.json}: object metadata holds the same
 * headline facts, but not the row counts a verification compares against.
 */
public record Manifest(
        String database,
        String releaseId,
        String createdAt,
        long size,
        String sha256,
        String serverVersion,
        Map<String, Long> rowCounts,
        String replica,
        String rdsSnapshot) {

    public static String key(String backupKey) {
        return backupKey + ".manifest.json";
    }
}
