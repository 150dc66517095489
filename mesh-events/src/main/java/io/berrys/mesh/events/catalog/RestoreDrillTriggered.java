package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.restore-drill.triggered}: prove a backup by restoring it into a scratch database. */
public record RestoreDrillTriggered(String database, String backup) {
    public RestoreDrillTriggered {
        Require.text(database, "database");
    }
}
