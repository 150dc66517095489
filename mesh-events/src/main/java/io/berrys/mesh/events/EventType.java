package io.berrys.mesh.events;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A parsed event type. Task events carry their task and phase; spontaneous events (release published, alerts,
 * commands) carry neither.
 */
public record EventType(String value, Task task, Phase phase) {

    public static final String RELEASE_PUBLISHED = "mesh.release.published";
    public static final String RELEASE_COMMAND = "mesh.release.command";
    public static final String ALERT_FIRED = "mesh.alert.fired";
    public static final String ALERT_RESOLVED = "mesh.alert.resolved";
    public static final String MAINTENANCE_ANNOUNCED = "mesh.maintenance.announced";

    /** Parsed forms of the catalog's types; only known types are kept, so the map stays small. */
    private static final Map<String, EventType> KNOWN = new ConcurrentHashMap<>();

    public boolean isTaskEvent() {
        return task != null;
    }

    /** Parses any string; unknown types come back with neither task nor phase and are rejected by the schema. */
    public static EventType parse(String value) {
        EventType cached = value == null ? null : KNOWN.get(value);
        if (cached != null) {
            return cached;
        }
        EventType parsed = parseUncached(value);
        if (io.berrys.mesh.events.catalog.EventCatalog.isKnown(value)) {
            KNOWN.put(value, parsed);
        }
        return parsed;
    }

    private static EventType parseUncached(String value) {
        if (value != null && value.startsWith("mesh.")) {
            int lastDot = value.lastIndexOf('.');
            if (lastDot > 5) {
                String taskId = value.substring(5, lastDot);
                String phaseId = value.substring(lastDot + 1);
                for (Phase phase : Phase.values()) {
                    if (phase.id().equals(phaseId)) {
                        var task = Task.fromId(taskId);
                        if (task.isPresent()) {
                            return new EventType(value, task.get(), phase);
                        }
                    }
                }
            }
        }
        return new EventType(value, null, null);
    }
}
