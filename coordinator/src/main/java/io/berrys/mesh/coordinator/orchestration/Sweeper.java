package io.berrys.mesh.coordinator.orchestration;

import io.berrys.mesh.coordinator.pipeline.CoordinatorConfig;
import io.berrys.mesh.coordinator.pipeline.Pipelines;
import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * What time alone decides, so that no release is ever stuck: stages whose owner went silent are failed (by a
 * finished event in the owner's place, applied like any other), maintenance windows open, announcements go out,
 * commands nobody answered are sent again, and outbox entries a crash left unsent are sent.
 */
@ApplicationScoped
public class Sweeper {

    private static final Logger LOG = Logger.getLogger(Sweeper.class);

    private final Orchestrator orchestrator;
    private final OutboxRelay relay;
    private final Pipelines pipelines;
    private final Duration outageGrace;
    private final Duration resendAfter;
    private final int resends;
    private volatile Instant timeoutsSuspendedUntil = Instant.EPOCH;
    /** Releases past their stage deadline at the last sweep; they are failed in the same sweep, so 0 normally. */
    private final AtomicLong overdue = new AtomicLong();
    /** When a sweep last completed; the MeshReleaseStuck alert fires when this stops moving. */
    private final AtomicLong lastSweepEpochSeconds =
            new AtomicLong(Instant.now().getEpochSecond());

    public Sweeper(
            Orchestrator orchestrator,
            OutboxRelay relay,
            CoordinatorConfig config,
            Pipelines pipelines,
            MeterRegistry registry) {
        this.orchestrator = orchestrator;
        Gauge.builder("mesh.releases.overdue", overdue, AtomicLong::get)
                .description("Releases past their stage deadline found by the last timeout sweep")
                .register(registry);
        Gauge.builder("mesh.coordinator.last.sweep.timestamp.seconds", lastSweepEpochSeconds, AtomicLong::get)
                .description("When the coordinator's timeout sweep last completed (Unix time)")
                .register(registry);
        this.pipelines = pipelines;
        this.relay = relay;
        this.outageGrace = config.outageGrace();
        this.resendAfter = config.commandResendAfter();
        this.resends = config.commandResends();
    }

    @Scheduled(
            every = "${mesh.coordinator.sweep-interval:PT1S}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "PT2S")
    Uni<Void> sweep() {
        return timeouts()
                .chain(this::rollbacks)
                .chain(this::windows)
                .chain(this::unanswered)
                .chain(relay::resendStale)
                .invoke(() -> lastSweepEpochSeconds.set(Instant.now().getEpochSecond()))
                .onFailure()
                .recoverWithUni(failure -> {
                    // Reports that arrived while the store was down are still being retried; they must land
                    // before anyone is called silent.
                    timeoutsSuspendedUntil = Instant.now().plus(outageGrace);
                    LOG.warnf(
                            "Sweep failed (%s); stage timeouts wait until %s",
                            failure.toString(), timeoutsSuspendedUntil);
                    return Uni.createFrom().voidItem();
                });
    }

    Uni<Void> timeouts() {
        Instant now = Instant.now();
        if (now.isBefore(timeoutsSuspendedUntil)) {
            return Uni.createFrom().voidItem();
        }
        // Only releases whose stage deadline (stored with every write) has passed, through an index: with thousands
        // of live releases, loading them all every second would be the coordinator's main work.
        return orchestrator
                .transactions()
                .inTransaction(store -> store.overdueStages(now))
                .invoke(candidates -> overdue.set(candidates.size()))
                .chain(candidates -> failOverdue(
                        candidates,
                        release -> release.overdueStage(orchestrator.pipelineOf(release), now)
                                .map(reason -> StageCommands.timeout(
                                        release, release.currentStage().orElseThrow(), reason))));
    }

    /**
     * Commands nobody answered: a Redis crash can lose what it acknowledged in its last second (AOF fsync every
     * second), and a lost command would otherwise wait for the stage's to-start timeout and fail its release.
     */
    Uni<Void> unanswered() {
        return orchestrator
                .transactions()
                .inTransaction(store -> store.reopenUnanswered(Instant.now().minus(resendAfter), resends))
                .invoke(ids -> {
                    if (!ids.isEmpty()) {
                        LOG.warnf(
                                "No answer to %d command(s) within %s; sending them again: %s",
                                ids.size(), resendAfter, String.join(", ", ids));
                    }
                })
                .replaceWithVoid();
    }

    Uni<Void> rollbacks() {
        Instant now = Instant.now();
        if (now.isBefore(timeoutsSuspendedUntil)) {
            return Uni.createFrom().voidItem();
        }
        return orchestrator
                .transactions()
                .inTransaction(store ->
                        store.unchangedSince(ReleaseState.ROLLING_BACK.name(), now.minus(pipelines.shortestTotal())))
                .chain(candidates -> failOverdue(
                        candidates,
                        release -> release.overdueRollback(orchestrator.pipelineOf(release), now)
                                .map(reason -> StageCommands.rollbackTimeout(release, reason))));
    }

    /** Applies, one after the other, the failure each overdue release gets in its silent owner's place. */
    private Uni<Void> failOverdue(List<Release> candidates, Function<Release, Optional<CloudEvent>> overdue) {
        List<CloudEvent> failures = new ArrayList<>();
        for (Release release : candidates) {
            overdue.apply(release).ifPresent(failure -> {
                TaskFinished finished = Events.payload(failure, TaskFinished.class);
                LOG.warnf("Release %s: %s", release.id(), finished.message());
                failures.add(failure);
            });
        }
        return Multi.createFrom()
                .iterable(failures)
                .onItem()
                .transformToUniAndConcatenate(orchestrator::acceptOwn)
                .collect()
                .last()
                .replaceWithVoid();
    }

    Uni<Void> windows() {
        Instant now = Instant.now();
        return orchestrator
                .transactions()
                .inTransaction(store -> store.inState(ReleaseState.WAITING_WINDOW.name()))
                .chain(waiting -> Multi.createFrom()
                        .iterable(waiting)
                        .onItem()
                        .transformToUniAndConcatenate(release -> windowTick(release.id(), now))
                        .collect()
                        .last()
                        .replaceWithVoid());
    }

    private Uni<Void> windowTick(String releaseId, Instant now) {
        Orchestrator.Work work = Orchestrator.Work.live(false);
        return orchestrator
                .transactions()
                .inTransaction(store -> orchestrator.onRelease(
                        store,
                        releaseId,
                        work,
                        (release, pipeline, at) -> release.windowTick(pipeline, orchestrator.announcementLead(), now)))
                .chain(() -> relay.publish(work.out()));
    }
}
