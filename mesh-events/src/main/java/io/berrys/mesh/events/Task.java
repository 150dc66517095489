package io.berrys.mesh.events;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The units of work an agent owns; each follows the triggered → started → progressed* → finished lifecycle. */
public enum Task {
    BACKUP("backup"),
    MIGRATION("migration"),
    ROLLOUT("rollout"),
    ROLLBACK("rollback"),
    VERIFICATION("verification"),
    DECOMMISSION("decommission"),
    PROVISION("provision"),
    RESTORE("restore"),
    RESTORE_DRILL("restore-drill");

    private final String id;

    Task(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public String type(Phase phase) {
        return "mesh." + id + "." + phase.id();
    }

    /** The one service that owns (answers) this task, as docs/architecture.md assigns it. */
    public String owner() {
        return switch (this) {
            case BACKUP, RESTORE, RESTORE_DRILL -> Services.BACKUP;
            case MIGRATION -> Services.MIGRATION;
            case ROLLOUT, ROLLBACK, DECOMMISSION -> Services.ROLLOUT;
            case VERIFICATION -> Services.MONITOR;
            case PROVISION -> Services.PROVISIONER;
        };
    }

    /** Where this task's {@code .triggered} commands are read by its owner. Rollbacks jump the queue. */
    public String commandStream() {
        return this == ROLLBACK ? Streams.PRIORITY : "mesh." + id;
    }

    private static final Map<String, Task> BY_ID =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(Task::id, Function.identity()));

    public static Optional<Task> fromId(String id) {
        return Optional.ofNullable(BY_ID.get(id));
    }
}
