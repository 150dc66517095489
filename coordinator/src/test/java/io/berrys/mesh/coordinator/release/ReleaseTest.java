package io.berrys.mesh.coordinator.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.coordinator.pipeline.MaintenanceWindow;
import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.pipeline.StageTimeouts;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleaseCommand.Command;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReleaseTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z"); // a Wednesday
    private static final StageTimeouts TIMEOUTS =
            new StageTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofMinutes(10));
    private static final List<Task> ALL_STAGES =
            List.of(Task.BACKUP, Task.MIGRATION, Task.ROLLOUT, Task.VERIFICATION, Task.DECOMMISSION);

    private static Pipeline pipeline(boolean approval, List<MaintenanceWindow> windows) {
        return new Pipeline("production", ALL_STAGES, approval, windows, TIMEOUTS, Map.of());
    }

    private static ReleasePublished request(List<String> databases, boolean downtime) {
        return request(databases, "db/migration", downtime);
    }

    private static ReleasePublished request(List<String> databases, String migrations, boolean downtime) {
        return new ReleasePublished(
                "production",
                "planning-system",
                "2.0.0",
                "registry/planning:2.0.0",
                databases,
                migrations,
                downtime,
                "ci");
    }

    private static Release running(Pipeline pipeline) {
        Release release = Release.publish("rel-1", request(List.of("planning"), false), pipeline, T0);
        release.admit(pipeline, T0);
        return release;
    }

    private static String triggered(Release release) {
        return release.currentStage().orElseThrow().triggeredEventId();
    }

    private static List<Effect> pass(Release release) {
        String id = triggered(release);
        release.stageStarted(id, T0);
        return release.stageFinished(id, Result.PASS, "ok", Map.of(), T0);
    }

    @Test
    void happyPathTriggersEveryStageInOrderAndFreesTheSlot() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = Release.publish("rel-1", request(List.of("planning"), false), pipeline, T0);
        List<Effect> first = release.admit(pipeline, T0);
        assertEquals(List.of(new Effect.TriggerStage(0, "rel-1.backup.1")), first);
        assertEquals(ReleaseState.RUNNING, release.state());
        for (Task expected : List.of(Task.MIGRATION, Task.ROLLOUT, Task.VERIFICATION, Task.DECOMMISSION)) {
            List<Effect> effects = pass(release);
            assertEquals(expected, release.currentStage().orElseThrow().task());
            assertInstanceOf(Effect.TriggerStage.class, effects.get(0));
        }
        assertEquals(List.of(new Effect.SlotFreed()), pass(release));
        assertEquals(ReleaseState.SUCCEEDED, release.state());
    }

    @Test
    void withoutADatabaseBackupAndMigrationAreSkipped() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = Release.publish("rel-2", request(List.of(), false), pipeline, T0);
        assertEquals(List.of(new Effect.TriggerStage(2, "rel-2.rollout.1")), release.admit(pipeline, T0));
        assertEquals(StageStatus.SKIPPED, release.stages().get(0).status());
        assertEquals(StageStatus.SKIPPED, release.stages().get(1).status());
    }

    @Test
    void aDatabaseWithoutAMigrationSetIsBackedUpButNotMigrated() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = Release.publish("rel-3", request(List.of("planning"), null, false), pipeline, T0);
        assertEquals(List.of(new Effect.TriggerStage(0, "rel-3.backup.1")), release.admit(pipeline, T0));
        List<Effect> effects = release.stageFinished("rel-3.backup.1", Result.PASS, "verified", Map.of(), T0);
        assertEquals(List.of(new Effect.TriggerStage(2, "rel-3.rollout.1")), effects);
        assertEquals(StageStatus.SKIPPED, release.stages().get(1).status());
        assertEquals("no migration set in this release", release.stages().get(1).message());
    }

    @Test
    void migrationFailureFailsTheReleaseWithoutARollout() {
        Release release = running(pipeline(false, List.of()));
        pass(release);
        String migration = triggered(release);
        List<Effect> effects = release.stageFinished(migration, Result.FAIL, "V7 drops a column", Map.of(), T0);
        assertEquals(List.of(new Effect.SlotFreed()), effects);
        assertEquals(ReleaseState.FAILED, release.state());
        assertEquals("migration failed: V7 drops a column", release.reason());
        assertEquals(StageStatus.PENDING, release.stages().get(2).status());
    }

    @Test
    void failureAfterTrafficMovedRollsBack() {
        Release release = running(pipeline(false, List.of()));
        pass(release);
        pass(release);
        pass(release); // rollout passed: traffic is on the new version
        List<Effect> effects = release.stageFinished(triggered(release), Result.FAIL, "p99 2.3 s", Map.of(), T0);
        assertEquals(
                List.of(new Effect.TriggerRollback("rel-1.rollback.1", "verification failed: p99 2.3 s")), effects);
        assertEquals(ReleaseState.ROLLING_BACK, release.state());
        assertEquals(List.of(), release.rollbackFinished("someone-else", Result.PASS, "not ours", T0));
        assertEquals(
                List.of(new Effect.SlotFreed()),
                release.rollbackFinished("rel-1.rollback.1", Result.PASS, "blue serves", T0));
        assertEquals(ReleaseState.ROLLED_BACK, release.state());
    }

    @Test
    void theRolloutStoppedByARollbackIsRecordedButDecidesNothing() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        pass(release);
        pass(release);
        String rollout = triggered(release);
        release.stageStarted(rollout, T0);
        release.stageProgressed(rollout, "traffic-25", T0);
        assertEquals(
                List.of(new Effect.TriggerRollback("rel-1.rollback.1", "rollback requested by monitor-service")),
                release.command(Command.ROLLBACK, "monitor-service", pipeline, T0));

        // The stopped rollout still reports for a while; none of it may push back the rollback's deadline.
        Instant later = T0.plus(Duration.ofMinutes(5));
        release.stageProgressed(rollout, "traffic-25", later);
        assertEquals(
                List.of(),
                release.stageFinished(
                        rollout, Result.FAIL, "stopped: rolled back", Map.of("trafficMoved", true), later));
        assertEquals(ReleaseState.ROLLING_BACK, release.state());
        assertTrue(release.overdueRollback(pipeline, T0.plus(Duration.ofMinutes(11)))
                .isPresent());
        assertEquals(StageStatus.FAILED, release.stages().get(2).status());
        assertEquals("stopped: rolled back", release.stages().get(2).message());
        assertEquals(StageStatus.PENDING, release.stages().get(3).status());
        assertEquals(
                List.of(new Effect.SlotFreed()),
                release.rollbackFinished("rel-1.rollback.1", Result.PASS, "blue serves", T0));
        assertEquals(ReleaseState.ROLLED_BACK, release.state());
    }

    @Test
    void aStageAnsweringAfterAnAbortIsRecordedAndTheReleaseStaysAborted() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        String backup = triggered(release);
        release.stageStarted(backup, T0);
        release.command(Command.ABORT, "ana", pipeline, T0);

        assertEquals(List.of(), release.stageFinished(backup, Result.PASS, "backed up", Map.of(), T0));
        assertEquals(ReleaseState.ABORTED, release.state());
        assertEquals(StageStatus.PASSED, release.stages().get(0).status());
        assertEquals(StageStatus.PENDING, release.stages().get(1).status());
    }

    @Test
    void aRollbackNobodyFinishesFailsAfterTheRolloutTotal() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        pass(release);
        pass(release);
        pass(release);
        release.stageFinished(triggered(release), Result.FAIL, "errors", Map.of(), T0);
        assertTrue(release.overdueRollback(pipeline, T0.plus(Duration.ofMinutes(9)))
                .isEmpty());
        assertEquals(
                "rollout-service did not finish the rollback within PT10M",
                release.overdueRollback(pipeline, T0.plus(Duration.ofMinutes(11)))
                        .orElseThrow());
    }

    @Test
    void rolloutFailingMidShiftRollsBackButNotBeforeTrafficMoved() {
        Release before = running(pipeline(false, List.of()));
        pass(before);
        pass(before);
        before.stageFinished(triggered(before), Result.FAIL, "smoke test 503", Map.of(), T0);
        assertEquals(ReleaseState.FAILED, before.state());

        Release during = running(pipeline(false, List.of()));
        pass(during);
        pass(during);
        during.stageProgressed(triggered(during), "traffic 25%", T0);
        during.stageFinished(triggered(during), Result.FAIL, "crash loop", Map.of(), T0);
        assertEquals(ReleaseState.ROLLING_BACK, during.state());
    }

    @Test
    void duplicateAndOutOfOrderRepliesChangeNothing() {
        Release release = running(pipeline(false, List.of()));
        String backup = triggered(release);
        release.stageStarted(backup, T0);
        release.stageFinished(backup, Result.PASS, "ok", Map.of(), T0);
        String migration = triggered(release);
        assertEquals(List.of(), release.stageFinished(backup, Result.FAIL, "late duplicate", Map.of(), T0));
        assertEquals(List.of(), release.stageStarted(backup, T0));
        assertEquals(migration, triggered(release));
        assertEquals(ReleaseState.RUNNING, release.state());
        assertEquals(StageStatus.PASSED, release.stages().get(0).status());
    }

    @Test
    void silentOwnersAreNamedWhenTheirTimeRunsOut() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        assertTrue(release.overdueStage(pipeline, T0.plusSeconds(29)).isEmpty());
        assertEquals(
                "backup-service did not start backup within PT30S",
                release.overdueStage(pipeline, T0.plusSeconds(31)).orElseThrow());
        release.stageStarted(triggered(release), T0.plusSeconds(5));
        assertEquals(
                "backup-service stopped reporting on backup (no heartbeat for PT20S)",
                release.overdueStage(pipeline, T0.plusSeconds(26)).orElseThrow());
    }

    @Test
    void theStageDeadlineIsTheMomentTheStageFallsOverdue() {
        Pipeline pipeline = pipeline(false, List.of());
        Release queued = Release.publish("rel-9", request(List.of("planning"), false), pipeline, T0);
        assertTrue(queued.stageDeadline(pipeline).isEmpty());

        Release release = running(pipeline);
        Instant toStart = release.stageDeadline(pipeline).orElseThrow();
        assertEquals(T0.plusSeconds(30), toStart);
        assertTrue(release.overdueStage(pipeline, toStart).isEmpty());
        assertTrue(release.overdueStage(pipeline, toStart.plusMillis(1)).isPresent());

        release.stageStarted(triggered(release), T0.plusSeconds(5));
        release.stageProgressed(triggered(release), "half", T0.plusSeconds(9));
        assertEquals(T0.plusSeconds(29), release.stageDeadline(pipeline).orElseThrow());

        Pipeline quickTotal = new Pipeline(
                "production",
                ALL_STAGES,
                false,
                List.of(),
                new StageTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(10)),
                Map.of());
        assertEquals(T0.plusSeconds(15), release.stageDeadline(quickTotal).orElseThrow());

        release.stageFinished(triggered(release), Result.FAIL, "broken", Map.of(), T0.plusSeconds(12));
        assertEquals(ReleaseState.FAILED, release.state());
        assertTrue(release.stageDeadline(pipeline).isEmpty());
    }

    @Test
    void approvalGateHoldsUntilApproved() {
        Pipeline pipeline = pipeline(true, List.of());
        Release release = Release.publish("rel-3", request(List.of("planning"), false), pipeline, T0);
        assertEquals(List.of(), release.admit(pipeline, T0));
        assertEquals(ReleaseState.WAITING_APPROVAL, release.state());
        assertThrows(IllegalTransitionException.class, () -> release.command(Command.RESUME, "ana", pipeline, T0));
        assertEquals(
                List.of(new Effect.TriggerStage(0, "rel-3.backup.1")),
                release.command(Command.APPROVE, "ana", pipeline, T0));
        assertEquals(ReleaseState.RUNNING, release.state());
    }

    @Test
    void downtimeReleaseWaitsForTheWindowAndAnnouncesIt() {
        Pipeline pipeline = pipeline(false, List.of(MaintenanceWindow.parse("SUN 02:00-04:00")));
        Release release = Release.publish("rel-4", request(List.of("planning"), true), pipeline, T0);
        Instant sunday = Instant.parse("2026-11-29T02:00:00Z");
        List<Effect> held = release.admit(pipeline, T0);
        assertEquals(ReleaseState.WAITING_WINDOW, release.state());
        assertEquals(List.of(new Effect.AnnounceWindow(sunday, sunday.plus(Duration.ofHours(2)))), held);
        assertEquals(List.of(), release.windowTick(pipeline, Duration.ofHours(48), sunday.minusSeconds(1)));
        assertEquals(
                List.of(new Effect.TriggerStage(0, "rel-4.backup.1")),
                release.windowTick(pipeline, Duration.ofHours(48), sunday.plusSeconds(1)));
    }

    @Test
    void pauseHoldsTheNextStageUntilResume() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        release.command(Command.PAUSE, "ana", pipeline, T0);
        assertEquals(List.of(), pass(release));
        assertEquals(ReleaseState.PAUSED, release.state());
        assertEquals(
                List.of(new Effect.TriggerStage(1, "rel-1.migration.1")),
                release.command(Command.RESUME, "ana", pipeline, T0));
    }

    @Test
    void abortFreesTheSlotAndRecordsWho() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        assertEquals(List.of(new Effect.SlotFreed()), release.command(Command.ABORT, "ana", pipeline, T0));
        assertEquals(ReleaseState.ABORTED, release.state());
        assertEquals("aborted by ana", release.reason());
    }

    @Test
    void aRefusedCommandLeavesTheReleaseAsItWas() {
        Pipeline pipeline = pipeline(false, List.of());
        Release release = running(pipeline);
        release.command(Command.ABORT, "ana", pipeline, T0);
        String reason = release.reason();
        Instant updatedAt = release.updatedAt();
        int rollbacks = release.rollbacks();

        Instant later = T0.plusSeconds(60);
        for (Command refused : List.of(Command.ROLLBACK, Command.ABORT, Command.PAUSE, Command.APPROVE)) {
            assertThrows(IllegalTransitionException.class, () -> release.command(refused, "monitor", pipeline, later));
            assertEquals(ReleaseState.ABORTED, release.state(), refused.wire());
            assertEquals(reason, release.reason(), refused.wire());
            assertEquals(updatedAt, release.updatedAt(), refused.wire());
            assertEquals(rollbacks, release.rollbacks(), refused.wire());
        }
    }
}
