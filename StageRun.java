package io.berrys.mesh.coordinator.release;

import io.berrys.mesh.events.Task;
import java.time.Instant;

/** One stage of one release: the command sent for it and what its owner reported. */
public final class StageRun {

    private final int position;
    private final Task task;
    private StageStatus status = StageStatus.PENDING;
    private int attempt;
    private String triggeredEventId;
    private Instant triggeredAt;
    private Instant startedAt;
    private Instant lastActivityAt;
    private Instant finishedAt;
    private String message;

    public StageRun(int position, Task task) {
        this.position = position;
        this.task = task;
    }

    /** For loading from storage. */
    public static StageRun restore(
            int position,
            Task task,
            StageStatus status,
            int attempt,
            String triggeredEventId,
            Instant triggeredAt,
            Instant startedAt,
            Instant lastActivityAt,
            Instant finishedAt,
            String message) {
        StageRun stage = new StageRun(position, task);
        stage.status = status;
        stage.attempt = attempt;
        stage.triggeredEventId = triggeredEventId;
        stage.triggeredAt = triggeredAt;
        stage.startedAt = startedAt;
        stage.lastActivityAt = lastActivityAt;
        stage.finishedAt = finishedAt;
        stage.message = message;
        return stage;
    }

    void trigger(String eventId, Instant now) {
        attempt++;
        status = StageStatus.TRIGGERED;
        triggeredEventId = eventId;
        triggeredAt = now;
        lastActivityAt = now;
        startedAt = null;
        finishedAt = null;
        message = null;
    }

    void start(Instant now) {
        status = StageStatus.RUNNING;
        startedAt = now;
        lastActivityAt = now;
    }

    void touch(Instant now) {
        lastActivityAt = now;
    }

    void finish(StageStatus outcome, String message, Instant now) {
        this.status = outcome;
        this.message = message;
        this.finishedAt = now;
        this.lastActivityAt = now;
    }

    public int position() {
        return position;
    }

    public Task task() {
        return task;
    }

    public StageStatus status() {
        return status;
    }

    public int attempt() {
        return attempt;
    }

    public String triggeredEventId() {
        return triggeredEventId;
    }

    public Instant triggeredAt() {
        return triggeredAt;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Instant lastActivityAt() {
        return lastActivityAt;
    }

    public Instant finishedAt() {
        return finishedAt;
    }

    public String message() {
        return message;
    }
}
