package io.berrys.mesh.coordinator.release;

import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.pipeline.StageTimeouts;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A release and its stages: every decision of the pipeline, as pure code. Methods apply what happened and return
 * the {@link Effect}s the orchestrator must carry out; all state changes go through {@link ReleaseStateMachine}.
 */
public final class Release {

    private final String id;
    private final ReleasePublished request;
    private final List<StageRun> stages;
    private final Instant createdAt;
    private ReleaseState state;
    private int stageIndex;
    private boolean trafficMoved;
    private boolean approved;
    private String reason;
    private int rollbacks;
    private Instant announcedOpening;
    private Instant updatedAt;

    private Release(String id, ReleasePublished request, List<StageRun> stages, ReleaseState state, Instant now) {
        this.id = id;
        this.request = request;
        this.stages = stages;
        this.state = state;
        this.stageIndex = -1;
        this.createdAt = now;
        this.updatedAt = now;
    }

    public static Release publish(String id, ReleasePublished request, Pipeline pipeline, Instant now) {
        List<StageRun> stages = new ArrayList<>();
        for (Task task : pipeline.stages()) {
            stages.add(new StageRun(stages.size(), task));
        }
        return new Release(id, request, stages, ReleaseState.QUEUED, now);
    }

    /** For loading from storage. */
    public static Release restore(
            String id,
            ReleasePublished request,
            List<StageRun> stages,
            ReleaseState state,
            int stageIndex,
            boolean trafficMoved,
            boolean approved,
            String reason,
            int rollbacks,
            Instant announcedOpening,
            Instant createdAt,
            Instant updatedAt) {
        Release release = new Release(id, request, new ArrayList<>(stages), state, createdAt);
        release.stageIndex = stageIndex;
        release.trafficMoved = trafficMoved;
        release.approved = approved;
        release.reason = reason;
        release.rollbacks = rollbacks;
        release.announcedOpening = announcedOpening;
        release.updatedAt = updatedAt;
        return release;
    }

    /** Its slot is free: start, or hold at the approval gate or for a maintenance window. */
    public List<Effect> admit(Pipeline pipeline, Instant now) {
        if (pipeline.approval() && !approved) {
            move(ReleaseTrigger.HOLD_FOR_APPROVAL, now);
            return List.of();
        }
        if (mustWaitForWindow(pipeline, now)) {
            move(ReleaseTrigger.HOLD_FOR_WINDOW, now);
            return announceIfDue(pipeline, now, Duration.ZERO);
        }
        move(ReleaseTrigger.START, now);
        return advanceFrom(0, now);
    }

    /** A newer release of the same service replaces this queued one. */
    public List<Effect> supersede(String newerId, Instant now) {
        move(ReleaseTrigger.ABORT, now);
        reason = "superseded by " + newerId;
        return List.of();
    }

    public List<Effect> stageStarted(String triggeredId, Instant now) {
        current(triggeredId)
                .filter(stage -> stage.status() == StageStatus.TRIGGERED)
                .ifPresent(stage -> {
                    stage.start(now);
                    touchIfRunning(now);
                });
        return List.of();
    }

    /** A heartbeat or step; a rollout step about traffic means traffic has moved to the new version. */
    public List<Effect> stageProgressed(String triggeredId, String step, Instant now) {
        current(triggeredId).filter(stage -> stage.status().isOpen()).ifPresent(stage -> {
            if (stage.status() == StageStatus.TRIGGERED) {
                stage.start(now);
            }
            stage.touch(now);
            if (stage.task() == Task.ROLLOUT && step != null && step.startsWith("traffic")) {
                trafficMoved = true;
            }
            touchIfRunning(now);
        });
        return List.of();
    }

    /** Its stages move: a stage's answers and timeouts count only in these states. */
    private boolean running() {
        return state == ReleaseState.RUNNING || state == ReleaseState.PAUSED;
    }

    /** While a rollback runs, updatedAt times it: a stopped rollout's last heartbeats must not push that back. */
    private void touchIfRunning(Instant now) {
        if (running()) {
            updatedAt = now;
        }
    }

    /**
     * The owner (or the coordinator's own timeout) finished the current stage. A reply to anything but the open
     * current stage is a duplicate or arrives out of order, and changes nothing.
     */
    public List<Effect> stageFinished(
            String triggeredId, Result result, String message, Map<String, Object> details, Instant now) {
        Optional<StageRun> open =
                current(triggeredId).filter(stage -> stage.status().isOpen());
        if (open.isEmpty()) {
            return List.of();
        }
        StageRun stage = open.get();
        StageStatus outcome = switch (result) {
            case PASS -> StageStatus.PASSED;
            case WARNING -> StageStatus.WARNED;
            case FAIL -> StageStatus.FAILED;
        };
        stage.finish(outcome, message, now);
        if (!running()) {
            // The release went on without this stage (a rollback or an abort stopped it): the owner's answer is
            // kept so no stage of an ended release reads RUNNING, and it decides nothing (updatedAt stays: it
            // times the rollback).
            return List.of();
        }
        if (stage.task() == Task.ROLLOUT
                && (result != Result.FAIL || Boolean.TRUE.equals(details.get("trafficMoved")))) {
            trafficMoved = true;
        }
        if (result == Result.FAIL) {
            String failure = stage.task().id() + " failed: " + message;
            if (trafficMoved) {
                return rollback(failure, now);
            }
            move(ReleaseTrigger.FAIL, now);
            reason = failure;
            return List.of(new Effect.SlotFreed());
        }
        if (state == ReleaseState.PAUSED) {
            updatedAt = now;
            return List.of();
        }
        return advanceFrom(stage.position() + 1, now);
    }

    /** The rollback this release asked for finished; replies to an earlier or foreign rollback change nothing. */
    public List<Effect> rollbackFinished(String triggeredId, Result result, String message, Instant now) {
        if (state != ReleaseState.ROLLING_BACK || !rollbackEventId().equals(triggeredId)) {
            return List.of();
        }
        if (result == Result.FAIL) {
            move(ReleaseTrigger.ROLLBACK_FAILED, now);
            reason = reason + "; rollback failed: " + message;
        } else {
            move(ReleaseTrigger.ROLLBACK_FINISHED, now);
        }
        return List.of(new Effect.SlotFreed());
    }

    /** Pause, resume, abort, approve or roll back, on someone's request; illegal ones throw. */
    public List<Effect> command(ReleaseCommand.Command command, String actor, Pipeline pipeline, Instant now) {
        return switch (command) {
            case PAUSE -> {
                move(ReleaseTrigger.PAUSE, now);
                yield List.of();
            }
            case RESUME -> {
                move(ReleaseTrigger.RESUME, now);
                StageRun stage = stages.get(stageIndex);
                yield stage.status().isDone() ? advanceFrom(stage.position() + 1, now) : List.of();
            }
            case ABORT -> {
                boolean heldSlot = state.isActive();
                move(ReleaseTrigger.ABORT, now);
                reason = "aborted by " + actor;
                yield heldSlot ? List.of(new Effect.SlotFreed()) : List.of();
            }
            case APPROVE -> {
                if (state != ReleaseState.WAITING_APPROVAL) {
                    throw new IllegalTransitionException(state, ReleaseTrigger.APPROVE);
                }
                approved = true;
                if (mustWaitForWindow(pipeline, now)) {
                    move(ReleaseTrigger.HOLD_FOR_WINDOW, now);
                    yield announceIfDue(pipeline, now, Duration.ZERO);
                }
                move(ReleaseTrigger.APPROVE, now);
                yield advanceFrom(0, now);
            }
            case ROLLBACK -> rollback("rollback requested by " + actor, now);
        };
    }

    /**
     * The moment {@link #overdueStage} turns true if nothing else happens before it; empty while no stage is open.
     * Stored with the release, so a sweep loads only the releases whose moment has passed.
     */
    public Optional<Instant> stageDeadline(Pipeline pipeline) {
        if (!running() || stageIndex < 0 || stageIndex >= stages.size()) {
            return Optional.empty();
        }
        StageRun stage = stages.get(stageIndex);
        StageTimeouts timeouts = pipeline.timeouts(stage.task());
        if (stage.status() == StageStatus.TRIGGERED) {
            return Optional.of(stage.triggeredAt().plus(timeouts.toStart()));
        }
        if (stage.status() == StageStatus.RUNNING) {
            Instant silent = stage.lastActivityAt().plus(timeouts.heartbeat());
            Instant tooLong = stage.startedAt().plus(timeouts.total());
            return Optional.of(silent.isBefore(tooLong) ? silent : tooLong);
        }
        return Optional.empty();
    }

    /**
     * What time alone changes: a stage whose owner stayed silent too long fails (the returned reason names it), a
     * maintenance window opens, an announcement falls due.
     */
    public Optional<String> overdueStage(Pipeline pipeline, Instant now) {
        if (!running()) {
            return Optional.empty();
        }
        if (stageIndex < 0 || stageIndex >= stages.size()) {
            return Optional.empty();
        }
        StageRun stage = stages.get(stageIndex);
        StageTimeouts timeouts = pipeline.timeouts(stage.task());
        String owner = stage.task().owner();
        if (stage.status() == StageStatus.TRIGGERED
                && now.isAfter(stage.triggeredAt().plus(timeouts.toStart()))) {
            return Optional.of(owner + " did not start " + stage.task().id() + " within " + timeouts.toStart());
        }
        if (stage.status() == StageStatus.RUNNING) {
            if (now.isAfter(stage.lastActivityAt().plus(timeouts.heartbeat()))) {
                return Optional.of(owner + " stopped reporting on "
                        + stage.task().id() + " (no heartbeat for " + timeouts.heartbeat() + ")");
            }
            if (now.isAfter(stage.startedAt().plus(timeouts.total()))) {
                return Optional.of(owner + " did not finish " + stage.task().id() + " within " + timeouts.total());
            }
        }
        return Optional.empty();
    }

    public List<Effect> windowTick(Pipeline pipeline, Duration announcementLead, Instant now) {
        if (state != ReleaseState.WAITING_WINDOW) {
            return List.of();
        }
        if (pipeline.windowOpen(now)) {
            move(ReleaseTrigger.WINDOW_OPENED, now);
            return advanceFrom(0, now);
        }
        return announceIfDue(pipeline, now, announcementLead);
    }

    private List<Effect> announceIfDue(Pipeline pipeline, Instant now, Duration lead) {
        Optional<Instant> opening = pipeline.nextWindowOpening(now);
        if (opening.isEmpty() || opening.get().equals(announcedOpening)) {
            return List.of();
        }
        if (!lead.isZero() && now.isBefore(opening.get().minus(lead))) {
            return List.of();
        }
        announcedOpening = opening.get();
        Instant closing = pipeline.windows().stream()
                .filter(window -> window.nextOpening(now).equals(opening.get()))
                .findFirst()
                .map(window -> window.closingAfter(opening.get()))
                .orElse(opening.get());
        return List.of(new Effect.AnnounceWindow(opening.get(), closing));
    }

    private boolean mustWaitForWindow(Pipeline pipeline, Instant now) {
        return request.requiresDowntime() && !pipeline.windows().isEmpty() && !pipeline.windowOpen(now);
    }

    private List<Effect> rollback(String why, Instant now) {
        move(ReleaseTrigger.ROLLBACK, now);
        reason = why;
        rollbacks++;
        List<Effect> effects = new ArrayList<>();
        effects.add(new Effect.TriggerRollback(rollbackEventId(), why));
        return effects;
    }

    /** The id of the latest rollback command this release sent. */
    public String rollbackEventId() {
        return id + ".rollback." + rollbacks;
    }

    /** A rollback nobody finishes would hold the slot for ever: past the rollout stage's total time it has failed. */
    public Optional<String> overdueRollback(Pipeline pipeline, Instant now) {
        if (state != ReleaseState.ROLLING_BACK) {
            return Optional.empty();
        }
        StageTimeouts timeouts = pipeline.timeouts(Task.ROLLOUT);
        if (now.isAfter(updatedAt.plus(timeouts.total()))) {
            return Optional.of(Task.ROLLBACK.owner() + " did not finish the rollback within " + timeouts.total());
        }
        return Optional.empty();
    }

    /** Triggers the first stage from {@code position} that has work to do, or completes the release. */
    private List<Effect> advanceFrom(int position, Instant now) {
        for (int next = position; next < stages.size(); next++) {
            StageRun stage = stages.get(next);
            Optional<String> noWork = whyNoWork(stage.task());
            if (noWork.isPresent()) {
                stage.finish(StageStatus.SKIPPED, noWork.get(), now);
                continue;
            }
            if (stageIndex >= 0) {
                move(ReleaseTrigger.NEXT_STAGE, now);
            }
            stageIndex = next;
            String eventId = id + "." + stage.task().id() + "." + (stage.attempt() + 1);
            stage.trigger(eventId, now);
            updatedAt = now;
            return List.of(new Effect.TriggerStage(next, eventId));
        }
        stageIndex = stages.size() - 1;
        move(ReleaseTrigger.COMPLETE, now);
        return List.of(new Effect.SlotFreed());
    }

    private Optional<String> whyNoWork(Task task) {
        if ((task == Task.BACKUP || task == Task.MIGRATION)
                && request.databases().isEmpty()) {
            return Optional.of("no database in this release");
        }
        // A release without a migration set changes no schema; guessing a default set would fail on services
        // that keep none. Its backup still runs, so the release can be restored to its starting point.
        if (task == Task.MIGRATION
                && (request.migrations() == null || request.migrations().isBlank())) {
            return Optional.of("no migration set in this release");
        }
        return Optional.empty();
    }

    private Optional<StageRun> current(String triggeredId) {
        if (stageIndex < 0 || triggeredId == null) {
            return Optional.empty();
        }
        StageRun stage = stages.get(stageIndex);
        return triggeredId.equals(stage.triggeredEventId()) ? Optional.of(stage) : Optional.empty();
    }

    /**
     * Every decision moves first and changes the rest after: a refused move then leaves the release as it was, which
     * the store relies on (a release read once serves every event of a transaction, refused ones included).
     */
    private void move(ReleaseTrigger trigger, Instant now) {
        state = ReleaseStateMachine.next(state, trigger);
        updatedAt = now;
    }

    public String id() {
        return id;
    }

    public ReleasePublished request() {
        return request;
    }

    public ReleaseState state() {
        return state;
    }

    public List<StageRun> stages() {
        return List.copyOf(stages);
    }

    public Optional<StageRun> currentStage() {
        return stageIndex < 0 ? Optional.empty() : Optional.of(stages.get(stageIndex));
    }

    public int stageIndex() {
        return stageIndex;
    }

    public boolean trafficMoved() {
        return trafficMoved;
    }

    public boolean approved() {
        return approved;
    }

    public String reason() {
        return reason;
    }

    public int rollbacks() {
        return rollbacks;
    }

    public Instant announcedOpening() {
        return announcedOpening;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant updatedAt() {
        return updatedAt;
    }
}
