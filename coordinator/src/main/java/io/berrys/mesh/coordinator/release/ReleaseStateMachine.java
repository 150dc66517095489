package io.berrys.mesh.coordinator.release;

import static io.berrys.mesh.coordinator.release.ReleaseState.ABORTED;
import static io.berrys.mesh.coordinator.release.ReleaseState.FAILED;
import static io.berrys.mesh.coordinator.release.ReleaseState.PAUSED;
import static io.berrys.mesh.coordinator.release.ReleaseState.QUEUED;
import static io.berrys.mesh.coordinator.release.ReleaseState.ROLLED_BACK;
import static io.berrys.mesh.coordinator.release.ReleaseState.ROLLING_BACK;
import static io.berrys.mesh.coordinator.release.ReleaseState.RUNNING;
import static io.berrys.mesh.coordinator.release.ReleaseState.SUCCEEDED;
import static io.berrys.mesh.coordinator.release.ReleaseState.WAITING_APPROVAL;
import static io.berrys.mesh.coordinator.release.ReleaseState.WAITING_WINDOW;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every legal move of a release, in one table. Anything not in the table is illegal and throws; the coordinator
 * never guesses.
 */
public final class ReleaseStateMachine {

    private static final Map<ReleaseState, Map<ReleaseTrigger, ReleaseState>> MOVES = new EnumMap<>(ReleaseState.class);

    static {
        allow(QUEUED, ReleaseTrigger.START, RUNNING);
        allow(QUEUED, ReleaseTrigger.HOLD_FOR_APPROVAL, WAITING_APPROVAL);
        allow(QUEUED, ReleaseTrigger.HOLD_FOR_WINDOW, WAITING_WINDOW);
        allow(QUEUED, ReleaseTrigger.ABORT, ABORTED);

        allow(WAITING_APPROVAL, ReleaseTrigger.APPROVE, RUNNING);
        // Approved, but it needs downtime and the window is closed.
        allow(WAITING_APPROVAL, ReleaseTrigger.HOLD_FOR_WINDOW, WAITING_WINDOW);
        allow(WAITING_APPROVAL, ReleaseTrigger.ABORT, ABORTED);

        allow(WAITING_WINDOW, ReleaseTrigger.WINDOW_OPENED, RUNNING);
        allow(WAITING_WINDOW, ReleaseTrigger.ABORT, ABORTED);

        allow(RUNNING, ReleaseTrigger.NEXT_STAGE, RUNNING);
        allow(RUNNING, ReleaseTrigger.COMPLETE, SUCCEEDED);
        allow(RUNNING, ReleaseTrigger.FAIL, FAILED);
        allow(RUNNING, ReleaseTrigger.ROLLBACK, ROLLING_BACK);
        allow(RUNNING, ReleaseTrigger.PAUSE, PAUSED);
        allow(RUNNING, ReleaseTrigger.ABORT, ABORTED);

        allow(PAUSED, ReleaseTrigger.RESUME, RUNNING);
        // The stage that was running when the pause came in may still finish badly.
        allow(PAUSED, ReleaseTrigger.FAIL, FAILED);
        allow(PAUSED, ReleaseTrigger.ROLLBACK, ROLLING_BACK);
        allow(PAUSED, ReleaseTrigger.ABORT, ABORTED);

        allow(ROLLING_BACK, ReleaseTrigger.ROLLBACK_FINISHED, ROLLED_BACK);
        allow(ROLLING_BACK, ReleaseTrigger.ROLLBACK_FAILED, FAILED);

        // Inside the rollback window the previous version is still warm: a finished release can go back.
        allow(SUCCEEDED, ReleaseTrigger.ROLLBACK, ROLLING_BACK);
    }

    private ReleaseStateMachine() {}

    private static void allow(ReleaseState from, ReleaseTrigger trigger, ReleaseState to) {
        MOVES.computeIfAbsent(from, state -> new EnumMap<>(ReleaseTrigger.class))
                .put(trigger, to);
    }

    /** The state after {@code trigger}; throws {@link IllegalTransitionException} when the move is not allowed. */
    public static ReleaseState next(ReleaseState from, ReleaseTrigger trigger) {
        return target(from, trigger).orElseThrow(() -> new IllegalTransitionException(from, trigger));
    }

    public static boolean allows(ReleaseState from, ReleaseTrigger trigger) {
        return target(from, trigger).isPresent();
    }

    private static Optional<ReleaseState> target(ReleaseState from, ReleaseTrigger trigger) {
        return Optional.ofNullable(MOVES.getOrDefault(from, Map.of()).get(trigger));
    }
}
