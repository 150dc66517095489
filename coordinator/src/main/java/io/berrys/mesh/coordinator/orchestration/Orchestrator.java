package io.berrys.mesh.coordinator.orchestration;

import io.berrys.mesh.coordinator.api.PublishValidation;
import io.berrys.mesh.coordinator.pipeline.CoordinatorConfig;
import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.pipeline.Pipelines;
import io.berrys.mesh.coordinator.release.Effect;
import io.berrys.mesh.coordinator.release.IllegalTransitionException;
import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.coordinator.release.StageRun;
import io.berrys.mesh.coordinator.store.AuditEntry;
import io.berrys.mesh.coordinator.store.ConcurrentUpdateException;
import io.berrys.mesh.coordinator.store.EventLogEntry;
import io.berrys.mesh.coordinator.store.OutboxEntry;
import io.berrys.mesh.coordinator.store.StoreTransaction;
import io.berrys.mesh.coordinator.store.Transactions;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.MalformedEventException;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Applies each event to the release it concerns, in one transaction: the event goes into the log (once: a
 * redelivered event is a no-op), the release changes state through its pure decisions, and the events those
 * decisions send go into the outbox. After the commit the relay puts them on the streams.
 */
@ApplicationScoped
public class Orchestrator {

    private static final Logger LOG = Logger.getLogger(Orchestrator.class);
    /** The longest release id or actor name the store keeps. */
    private static final int MAX_NAME_CHARS = 128;

    private static final List<String> ACTIVE_STATES = Arrays.stream(ReleaseState.values())
            .filter(ReleaseState::isActive)
            .map(Enum::name)
            .toList();

    private final Pipelines pipelines;
    private final CoordinatorConfig config;
    private final OutboxRelay relay;
    private final Transactions transactions;

    public Orchestrator(Pipelines pipelines, CoordinatorConfig config, OutboxRelay relay, Transactions transactions) {
        this.pipelines = pipelines;
        this.config = config;
        this.relay = relay;
        this.transactions = transactions;
        for (int lane = 0; lane < LANES; lane++) {
            lanes.add(new Lane(transactions.newEventLoopContext()));
        }
    }

    /**
     * The most events one group transaction applies: a larger group holds its releases' rows locked longer, and one
     * that fails is applied again event by event.
     */
    static final int GROUP_LIMIT = 64;
    /** Group writers per replica: each waits on PostgreSQL round trips, so several keep it busy. */
    static final int LANES = 4;

    private record Pending(CloudEvent event, CompletableFuture<Void> applied) {}

    private final List<Lane> lanes = new ArrayList<>();

    /**
     * Applies an event from the stream; completes once it is committed (its consequences are then on their way).
     * Events are written in groups: everything that arrived for a lane while its previous group was being committed
     * goes into the next transaction. Under load that turns dozens of commits into one, and an idle coordinator
     * still writes a lone event at once. A release always maps to the same lane, so its events are applied in
     * arrival order; across replicas the version check keeps them consistent.
     */
    public CompletionStage<Void> accept(CloudEvent event) {
        String key = Optional.ofNullable(Events.releaseId(event)).orElse(event.getId());
        Pending entry = new Pending(event, new CompletableFuture<>());
        lanes.get(Math.floorMod(key.hashCode(), LANES)).add(entry);
        return entry.applied();
    }

    private final class Lane {
        private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean writing = new AtomicBoolean();
        private final Context home;

        Lane(Context home) {
            this.home = home;
        }

        void add(Pending entry) {
            pending.add(entry);
            writeNextGroup();
        }

        private void writeNextGroup() {
            if (!writing.compareAndSet(false, true)) {
                return;
            }
            List<Pending> group = new ArrayList<>();
            for (Pending next; group.size() < GROUP_LIMIT && (next = pending.poll()) != null; ) {
                group.add(next);
            }
            if (group.isEmpty()) {
                writing.set(false);
                // An event added between the poll and the reset found the writer busy: pick it up now.
                if (!pending.isEmpty()) {
                    writeNextGroup();
                }
                return;
            }
            applyGroup(home, group).subscribe().with(ignored -> groupWritten(), failure -> groupWritten());
        }

        private void groupWritten() {
            writing.set(false);
            writeNextGroup();
        }
    }

    private Uni<Void> applyGroup(Context home, List<Pending> group) {
        if (group.size() == 1) {
            return applyAlone(home, group.get(0));
        }
        List<CloudEvent> events = group.stream().map(Pending::event).toList();
        return retryingConflicts(home, store -> applyAll(store, events, Work.live(false)))
                .onItem()
                .transformToUni(relay::publish)
                .invoke(() -> group.forEach(entry -> entry.applied().complete(null)))
                .onFailure()
                .recoverWithUni(failure -> {
                    // One bad event must not hold back the others: each is tried in a transaction of its own.
                    LOG.debugf("A group of %d events failed (%s); applying them one by one", group.size(), failure);
                    return InOrder.each(group, entry -> applyAlone(home, entry));
                });
    }

    /** Never fails: the outcome goes to the event's caller. */
    private Uni<Void> applyAlone(Context home, Pending entry) {
        return retryingConflicts(home, store -> apply(store, entry.event(), Work.live(false)))
                .onItem()
                .transformToUni(relay::publish)
                .onItemOrFailure()
                .invoke((ignored, failure) -> {
                    if (failure == null) {
                        entry.applied().complete(null);
                    } else {
                        entry.applied().completeExceptionally(failure);
                    }
                })
                .onFailure()
                .recoverWithNull();
    }

    /**
     * The events of a group in one transaction: one query finds those already logged, two read every release they
     * name (with its stages), then each is logged and decided in order.
     */
    private Uni<List<OutboxEntry>> applyAll(StoreTransaction store, List<CloudEvent> events, Work work) {
        List<String> eventIds =
                events.stream().map(CloudEvent::getId).distinct().toList();
        return store.loggedAmong(eventIds)
                .chain(logged -> {
                    Set<String> seen = new HashSet<>(logged);
                    List<CloudEvent> fresh = new ArrayList<>();
                    for (CloudEvent event : events) {
                        if (seen.add(event.getId())) {
                            fresh.add(event);
                        }
                    }
                    Set<String> releaseIds = new HashSet<>();
                    fresh.forEach(event ->
                            Optional.ofNullable(Events.releaseId(event)).ifPresent(releaseIds::add));
                    return store.prefetch(releaseIds)
                            .chain(() -> InOrder.each(fresh, event -> {
                                log(store, event);
                                return decide(store, event, work);
                            }));
                })
                .replaceWith(work.out());
    }

    /**
     * A release or command that arrives through the API: applied like a stream event, and also put on
     * {@code mesh.transitions} so the rest of the mesh sees it. A repeated request (same event id) does nothing.
     */
    public Uni<Boolean> acceptFromApi(CloudEvent event) {
        return acceptAndPublish(event, true);
    }

    /** Applies an event the coordinator itself made (a timeout) and puts it on its stream for the owner to see. */
    public Uni<Boolean> acceptOwn(CloudEvent event) {
        return acceptAndPublish(event, false);
    }

    private Uni<Boolean> acceptAndPublish(CloudEvent event, boolean strict) {
        return retryingConflicts(store -> {
                    Work work = Work.live(strict);
                    return apply(store, event, work).map(out -> {
                        if (out != ALREADY_APPLIED) {
                            outbox(store, event, work);
                        }
                        return out;
                    });
                })
                .onItem()
                .transformToUni(out -> relay.publish(out).replaceWith(out != ALREADY_APPLIED));
    }

    private static final List<OutboxEntry> ALREADY_APPLIED = List.of();

    /**
     * Replays entries of the log, in order, into the projection {@code store} works on (a rebuild's): each decided
     * as when it arrived, with its recorded time as "now", and nothing sent or audited again.
     */
    Uni<Void> replay(StoreTransaction store, List<EventLogEntry> entries) {
        Set<String> releaseIds = new HashSet<>();
        for (EventLogEntry entry : entries) {
            // A release request without a release id names its release by its own event id.
            releaseIds.add(entry.releaseId() == null ? entry.eventId() : entry.releaseId());
        }
        return store.prefetch(releaseIds)
                .chain(() -> InOrder.each(entries, entry -> {
                    CloudEvent event;
                    try {
                        event = EventCodec.fromFields(OutboxRelay.fields(entry.fields()), EventSchema.MAX_ENTRY_BYTES);
                    } catch (RuntimeException failure) {
                        throw new IllegalStateException(
                                "event " + entry.seq() + " of the log (" + entry.eventId() + ") cannot be read: "
                                        + failure.getMessage(),
                                failure);
                    }
                    return decide(store, event, Work.replay(entry.recordedAt()));
                }));
    }

    /**
     * One application of one event: what it decides to send, whether an illegal command must fail the caller, and
     * whether it is a replay (rebuilding projections: no outbox, no audit, the event's recorded time as "now").
     */
    record Work(List<OutboxEntry> out, boolean strict, boolean replay, Instant now) {
        static Work live(boolean strict) {
            return new Work(new ArrayList<>(), strict, false, Instant.now());
        }

        static Work replay(Instant recordedAt) {
            return new Work(new ArrayList<>(), false, true, recordedAt);
        }
    }

    /**
     * One transaction, tried again when a concurrent writer (another replica, another copy of the channel) won:
     * each attempt starts from what is committed, with a new {@link Work}.
     */
    private <T> Uni<T> retryingConflicts(Function<StoreTransaction, Uni<T>> work) {
        return retryingConflicts(null, work);
    }

    private <T> Uni<T> retryingConflicts(Context home, Function<StoreTransaction, Uni<T>> work) {
        return (home == null ? transactions.inTransaction(work) : transactions.inTransaction(home, work))
                .onFailure(Orchestrator::isConflict)
                .retry()
                .withBackOff(Duration.ofMillis(5), Duration.ofMillis(200))
                .atMost(8);
    }

    private static final String UNIQUE_VIOLATION = "23505";
    private static final Set<String> RACED_CONSTRAINTS = Set.of("event_log_event_id_key", "releases_pkey");

    private static boolean isConflict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConcurrentUpdateException) {
                return true;
            }
            // A concurrent replica logged the same event, or created the same release, first: the retry finds it
            // and does nothing. Other unique violations (an outbox event id sent before) would recur every time.
            if (cause instanceof PgException pg
                    && UNIQUE_VIOLATION.equals(pg.getSqlState())
                    && RACED_CONSTRAINTS.contains(pg.getConstraint())) {
                return true;
            }
        }
        return false;
    }

    private Uni<List<OutboxEntry>> apply(StoreTransaction store, CloudEvent event, Work work) {
        return store.loggedAmong(List.of(event.getId())).chain(seen -> {
            if (!seen.isEmpty()) {
                LOG.debugf("Event %s already applied; ignoring the redelivery", event.getId());
                return Uni.createFrom().item(ALREADY_APPLIED);
            }
            log(store, event);
            return decide(store, event, work).replaceWith(work.out());
        });
    }

    private static void log(StoreTransaction store, CloudEvent event) {
        store.log(new EventLogEntry(
                0,
                event.getId(),
                event.getType(),
                event.getSource().toString(),
                Events.releaseId(event),
                event.getSubject(),
                event.getTime() == null ? null : event.getTime().toInstant(),
                OutboxRelay.json(EventCodec.toFields(event)),
                Instant.now()));
    }

    private Uni<Void> decide(StoreTransaction store, CloudEvent event, Work work) {
        EventType type = EventType.parse(event.getType());
        if (EventType.RELEASE_PUBLISHED.equals(type.value())) {
            return publish(store, event, work);
        }
        String releaseId = Events.releaseId(event);
        if (releaseId == null) {
            return Uni.createFrom().voidItem();
        }
        if (EventType.RELEASE_COMMAND.equals(type.value())) {
            ReleaseCommand command = Events.payload(event, ReleaseCommand.class);
            return onRelease(store, releaseId, work, (release, pipeline, now) -> {
                        // Decided first: a refused command is audited as refused, below, and only that way.
                        List<Effect> effects = release.command(command.command(), command.requestedBy(), pipeline, now);
                        audit(
                                store,
                                work,
                                releaseId,
                                command.requestedBy(),
                                command.command().wire(),
                                command.reason());
                        return effects;
                    })
                    .onFailure(IllegalTransitionException.class)
                    .recoverWithUni(failure -> {
                        if (work.strict()) {
                            return Uni.createFrom().failure(failure);
                        }
                        LOG.warnf("Release %s: command refused: %s", releaseId, failure.getMessage());
                        audit(
                                store,
                                work,
                                releaseId,
                                command.requestedBy(),
                                "refused " + command.command().wire(),
                                failure.getMessage());
                        return Uni.createFrom().voidItem();
                    });
        }
        if (!type.isTaskEvent() || type.phase() == Phase.TRIGGERED) {
            return Uni.createFrom().voidItem();
        }
        String triggeredId = Events.triggeredId(event);
        if (type.task() == Task.ROLLBACK) {
            if (type.phase() != Phase.FINISHED) {
                return Uni.createFrom().voidItem();
            }
            TaskFinished finished = Events.payload(event, TaskFinished.class);
            return onRelease(
                    store,
                    releaseId,
                    work,
                    (release, pipeline, now) ->
                            release.rollbackFinished(triggeredId, finished.result(), finished.message(), now));
        }
        return switch (type.phase()) {
            case STARTED ->
                onRelease(store, releaseId, work, (release, pipeline, now) -> release.stageStarted(triggeredId, now));
            case PROGRESSED -> {
                TaskProgressed progressed = Events.payload(event, TaskProgressed.class);
                yield onRelease(
                        store,
                        releaseId,
                        work,
                        (release, pipeline, now) -> release.stageProgressed(triggeredId, progressed.step(), now));
            }
            case FINISHED -> {
                TaskFinished finished = Events.payload(event, TaskFinished.class);
                yield onRelease(
                        store,
                        releaseId,
                        work,
                        (release, pipeline, now) -> release.stageFinished(
                                triggeredId, finished.result(), finished.message(), finished.details(), now));
            }
            default -> Uni.createFrom().voidItem();
        };
    }

    private Uni<Void> publish(StoreTransaction store, CloudEvent event, Work work) {
        ReleasePublished request = Events.payload(event, ReleasePublished.class);
        String releaseId = Optional.ofNullable(Events.releaseId(event)).orElse(event.getId());
        Optional<Pipeline> pipeline = pipelines.forEnvironment(request.environment());
        if (pipeline.isEmpty()) {
            LOG.warnf(
                    "Release %s is for environment '%s', which has no pipeline (known: %s); not created",
                    releaseId, request.environment(), pipelines.environments());
            return Uni.createFrom().voidItem();
        }
        List<String> problems = new ArrayList<>(
                PublishValidation.problems(request.service(), request.version(), request.image(), request.databases()));
        if (releaseId.length() > MAX_NAME_CHARS) {
            problems.add("the release id is longer than " + MAX_NAME_CHARS + " characters");
        }
        if (request.requestedBy() != null && request.requestedBy().length() > MAX_NAME_CHARS) {
            problems.add("requestedBy is longer than " + MAX_NAME_CHARS + " characters");
        }
        if (!problems.isEmpty()) {
            // Fails this event alone (its group is retried event by event); the connector dead-letters it.
            throw new MalformedEventException("release " + releaseId + " not created: " + String.join("; ", problems));
        }
        Instant now = work.now();
        return lockSlot(store, request.environment(), request.service())
                .chain(() -> store.release(releaseId))
                .chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().voidItem();
                    }
                    Release release = Release.publish(releaseId, request, pipeline.get(), now);
                    return supersedeQueued(store, request, releaseId, now, work).chain(() -> {
                        store.add(release, pipeline.get());
                        audit(
                                store,
                                work,
                                releaseId,
                                request.requestedBy() == null ? "unknown" : request.requestedBy(),
                                "publish",
                                request.service() + " " + request.version() + " to " + request.environment());
                        return admitNext(store, request.environment(), request.service(), work);
                    });
                });
    }

    private Uni<Void> supersedeQueued(
            StoreTransaction store, ReleasePublished request, String newerId, Instant now, Work work) {
        if (!config.supersedeQueued()) {
            return Uni.createFrom().voidItem();
        }
        return store.queued(request.environment(), request.service(), ReleaseState.QUEUED.name())
                .invoke(queued -> {
                    for (Release older : queued) {
                        older.supersede(newerId, now);
                        store.changed(older, pipelineOf(older));
                        audit(store, work, older.id(), "coordinator", "superseded", "by " + newerId);
                    }
                })
                .replaceWithVoid();
    }

    /** If nothing holds the (environment, service) slot, the oldest queued release takes it. */
    private Uni<Void> admitNext(StoreTransaction store, String environment, String service, Work work) {
        return lockSlot(store, environment, service)
                .chain(() -> store.nextAdmissible(environment, service, ReleaseState.QUEUED.name(), ACTIVE_STATES))
                .chain(next -> {
                    if (next == null) {
                        return Uni.createFrom().voidItem();
                    }
                    Pipeline pipeline = pipelineOf(next);
                    List<Effect> effects = next.admit(pipeline, work.now());
                    store.changed(next, pipeline);
                    return carryOut(store, next, effects, work);
                });
    }

    @FunctionalInterface
    interface Decision {
        List<Effect> apply(Release release, Pipeline pipeline, Instant now);
    }

    /** Reads the release, applies the decision, marks it for writing (version-checked) and carries out the effects. */
    Uni<Void> onRelease(StoreTransaction store, String releaseId, Work work, Decision decision) {
        return store.release(releaseId).chain(release -> {
            if (release == null) {
                LOG.debugf("Event for unknown release %s; recorded only", releaseId);
                return Uni.createFrom().voidItem();
            }
            Pipeline pipeline = pipelineOf(release);
            List<Effect> effects = decision.apply(release, pipeline, work.now());
            store.changed(release, pipeline);
            return carryOut(store, release, effects, work);
        });
    }

    private Uni<Void> carryOut(StoreTransaction store, Release release, List<Effect> effects, Work work) {
        return InOrder.each(effects, effect -> carryOut(store, release, effect, work));
    }

    private Uni<Void> carryOut(StoreTransaction store, Release release, Effect effect, Work work) {
        if (effect instanceof Effect.TriggerStage trigger) {
            StageRun stage = release.stages().get(trigger.position());
            LOG.debugf(
                    "Release %s (%s %s to %s): %s triggered",
                    release.id(),
                    release.request().service(),
                    release.request().version(),
                    release.request().environment(),
                    stage.task().id());
            outbox(
                    store,
                    StageCommands.trigger(
                            release,
                            stage,
                            pipelines.backupVerify(release.request().environment())),
                    work);
            return Uni.createFrom().voidItem();
        }
        if (effect instanceof Effect.TriggerRollback rollback) {
            if (!work.replay()) {
                LOG.warnf("Release %s: rolling back: %s", release.id(), rollback.reason());
            }
            outbox(store, StageCommands.rollback(release, rollback.eventId(), rollback.reason()), work);
            return Uni.createFrom().voidItem();
        }
        if (effect instanceof Effect.AnnounceWindow window) {
            outbox(store, StageCommands.announcement(release, window.opening(), window.closing()), work);
            return Uni.createFrom().voidItem();
        }
        Logger.Level level = work.replay() ? Logger.Level.DEBUG : Logger.Level.INFO;
        LOG.logf(
                level,
                "Release %s is %s%s",
                release.id(),
                release.state(),
                release.reason() == null ? "" : ": " + release.reason());
        return admitNext(
                store, release.request().environment(), release.request().service(), work);
    }

    private static void outbox(StoreTransaction store, CloudEvent event, Work work) {
        if (work.replay()) {
            return;
        }
        OutboxEntry entry = new OutboxEntry(event.getId(), OutboxRelay.json(EventCodec.toFields(event)), Instant.now());
        work.out().add(entry);
        store.outbox(entry);
    }

    private static void audit(
            StoreTransaction store, Work work, String releaseId, String actor, String action, String detail) {
        if (!work.replay()) {
            store.audit(new AuditEntry(releaseId, actor, action, detail, Instant.now()));
        }
    }

    /** Serialises the transactions that fill or free one (environment, service) slot, across replicas. */
    private static Uni<Void> lockSlot(StoreTransaction store, String environment, String service) {
        return store.lockSlot(environment + "/" + service);
    }

    Pipeline pipelineOf(Release release) {
        return pipelines
                .forEnvironment(release.request().environment())
                .orElseThrow(() -> new IllegalStateException("no pipeline for environment "
                        + release.request().environment() + " of release " + release.id()));
    }

    Transactions transactions() {
        return transactions;
    }

    Duration announcementLead() {
        return config.announcementLead();
    }
}
