package io.berrys.mesh.migration;

import java.util.Map;

/** A migration task that cannot pass; the message and details go into its finished event. */
public class MigrationFailed extends Exception {

    private final Map<String, Object> details;

    public MigrationFailed(String message) {
        this(message, Map.of());
    }

    public MigrationFailed(String message, Map<String, Object> details) {
        super(message);
        this.details = details;
    }

    public Map<String, Object> details() {
        return details;
    }
}
