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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReleaseStateMachineTest {

    /** The whole table, written out again independently of the implementation. */
    private static final Map<ReleaseState, Map<ReleaseTrigger, ReleaseState>> LEGAL = Map.of(
            QUEUED,
            Map.of(
                    ReleaseTrigger.START, RUNNING,
                    ReleaseTrigger.HOLD_FOR_APPROVAL, WAITING_APPROVAL,
                    ReleaseTrigger.HOLD_FOR_WINDOW, WAITING_WINDOW,
                    ReleaseTrigger.ABORT, ABORTED),
            WAITING_APPROVAL,
            Map.of(
                    ReleaseTrigger.APPROVE, RUNNING,
                    ReleaseTrigger.HOLD_FOR_WINDOW, WAITING_WINDOW,
                    ReleaseTrigger.ABORT, ABORTED),
            WAITING_WINDOW,
            Map.of(ReleaseTrigger.WINDOW_OPENED, RUNNING, ReleaseTrigger.ABORT, ABORTED),
            RUNNING,
            Map.of(
                    ReleaseTrigger.NEXT_STAGE, RUNNING,
                    ReleaseTrigger.COMPLETE, SUCCEEDED,
                    ReleaseTrigger.FAIL, FAILED,
                    ReleaseTrigger.ROLLBACK, ROLLING_BACK,
                    ReleaseTrigger.PAUSE, PAUSED,
                    ReleaseTrigger.ABORT, ABORTED),
            PAUSED,
            Map.of(
                    ReleaseTrigger.RESUME, RUNNING,
                    ReleaseTrigger.FAIL, FAILED,
                    ReleaseTrigger.ROLLBACK, ROLLING_BACK,
                    ReleaseTrigger.ABORT, ABORTED),
            ROLLING_BACK,
            Map.of(ReleaseTrigger.ROLLBACK_FINISHED, ROLLED_BACK, ReleaseTrigger.ROLLBACK_FAILED, FAILED),
            SUCCEEDED,
            Map.of(ReleaseTrigger.ROLLBACK, ROLLING_BACK),
            ROLLED_BACK,
            Map.of(),
            FAILED,
            Map.of(),
            ABORTED,
            Map.of());

    static Stream<Arguments> legalMoves() {
        List<Arguments> moves = new ArrayList<>();
        LEGAL.forEach(
                (from, triggers) -> triggers.forEach((trigger, to) -> moves.add(Arguments.of(from, trigger, to))));
        return moves.stream();
    }

    static Stream<Arguments> illegalMoves() {
        List<Arguments> moves = new ArrayList<>();
        for (ReleaseState from : ReleaseState.values()) {
            for (ReleaseTrigger trigger : ReleaseTrigger.values()) {
                if (!LEGAL.get(from).containsKey(trigger)) {
                    moves.add(Arguments.of(from, trigger));
                }
            }
        }
        return moves.stream();
    }

    @ParameterizedTest(name = "{0} --{1}--> {2}")
    @MethodSource("legalMoves")
    void legalMoveReachesItsTarget(ReleaseState from, ReleaseTrigger trigger, ReleaseState to) {
        assertTrue(ReleaseStateMachine.allows(from, trigger));
        assertEquals(to, ReleaseStateMachine.next(from, trigger));
    }

    @ParameterizedTest(name = "{0} --{1}--> illegal")
    @MethodSource("illegalMoves")
    void illegalMoveThrowsNamingStateAndTrigger(ReleaseState from, ReleaseTrigger trigger) {
        assertFalse(ReleaseStateMachine.allows(from, trigger));
        IllegalTransitionException error =
                assertThrows(IllegalTransitionException.class, () -> ReleaseStateMachine.next(from, trigger));
        assertEquals(from, error.from());
        assertTrue(error.getMessage().contains(from.name()), error.getMessage());
    }

    @ParameterizedTest
    @MethodSource("terminalStates")
    void terminalStatesOnlyLeaveForARollbackOfASuccess(ReleaseState state) {
        assertTrue(state.isTerminal());
        assertFalse(state.isActive());
    }

    static Stream<ReleaseState> terminalStates() {
        return Stream.of(SUCCEEDED, ROLLED_BACK, FAILED, ABORTED);
    }
}
