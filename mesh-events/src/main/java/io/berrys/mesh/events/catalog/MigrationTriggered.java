package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.migration.triggered}: which database, and where the Flyway scripts come from. */
public record MigrationTriggered(String environment, String service, String database, String migrationSet) {
    public MigrationTriggered {
        Require.text(environment, "environment");
        Require.text(database, "database");
        Require.text(migrationSet, "migrationSet");
    }
}
