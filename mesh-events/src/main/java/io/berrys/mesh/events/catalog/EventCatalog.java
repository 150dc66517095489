package io.berrys.mesh.events.catalog;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Task;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Every event type the mesh knows, with the record its {@code data} must parse into. */
public final class EventCatalog {

    private static final Map<Task, Class<?>> TRIGGERED = new EnumMap<>(Task.class);
    private static final Map<String, Class<?>> PAYLOADS;

    static {
        TRIGGERED.put(Task.BACKUP, BackupTriggered.class);
        TRIGGERED.put(Task.MIGRATION, MigrationTriggered.class);
        TRIGGERED.put(Task.ROLLOUT, RolloutTriggered.class);
        TRIGGERED.put(Task.ROLLBACK, RollbackTriggered.class);
        TRIGGERED.put(Task.VERIFICATION, VerificationTriggered.class);
        TRIGGERED.put(Task.DECOMMISSION, DecommissionTriggered.class);
        TRIGGERED.put(Task.PROVISION, ProvisionTriggered.class);
        TRIGGERED.put(Task.RESTORE, RestoreTriggered.class);
        TRIGGERED.put(Task.RESTORE_DRILL, RestoreDrillTriggered.class);

        Map<String, Class<?>> payloads = new LinkedHashMap<>();
        for (Task task : Task.values()) {
            payloads.put(task.type(Phase.TRIGGERED), TRIGGERED.get(task));
            payloads.put(task.type(Phase.STARTED), TaskStarted.class);
            payloads.put(task.type(Phase.PROGRESSED), TaskProgressed.class);
            payloads.put(task.type(Phase.FINISHED), TaskFinished.class);
        }
        payloads.put(EventType.RELEASE_PUBLISHED, ReleasePublished.class);
        payloads.put(EventType.RELEASE_COMMAND, ReleaseCommand.class);
        payloads.put(EventType.ALERT_FIRED, AlertFired.class);
        payloads.put(EventType.ALERT_RESOLVED, AlertResolved.class);
        payloads.put(EventType.MAINTENANCE_ANNOUNCED, MaintenanceAnnounced.class);
        PAYLOADS = Collections.unmodifiableMap(payloads);
    }

    private EventCatalog() {}

    public static boolean isKnown(String type) {
        return PAYLOADS.containsKey(type);
    }

    public static Optional<Class<?>> payloadType(String type) {
        return Optional.ofNullable(PAYLOADS.get(type));
    }

    public static Map<String, Class<?>> all() {
        return PAYLOADS;
    }
}
