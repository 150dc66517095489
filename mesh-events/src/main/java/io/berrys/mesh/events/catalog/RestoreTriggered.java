package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.restore.triggered}: restore a named backup into a named database. */
public record RestoreTriggered(String backup, String database, boolean overwrite) {
    public RestoreTriggered {
        Require.text(backup, "backup");
        Require.text(database, "database");
    }
}
