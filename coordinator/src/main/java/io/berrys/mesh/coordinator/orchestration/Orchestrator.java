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
import io.berrys.mesh.coordinator.store.EventLogEntry;
import io.berrys.mesh.coordinator.store.OutboxEntry;
import io.berrys.mesh.coordinator.store.ReleaseEntity;
import io.berrys.mesh.coordinator.store.ReleaseMapper;
import io.berrys.mesh.coordinator.store.StageEntity;
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
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.OptimisticLockException;
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
import java.util.function.Supplier;
import org.hibernate.FlushMode;
import org.hibernate.StaleStateException;
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

    /** The most events one group transaction applies; larger groups spend more on checking the session. */
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
        return retryingConflicts(home, () -> applyAll(events, Work.live(false)))
                .onItem()
                .transformToUni(relay::publish)
                .invoke(() -> group.forEach(entry -> entry.applied().complete(null)))
                .onFailure()
                .recoverWithUni(failure -> {
                    // One bad event must not hold back the others: each is tried in a transaction of its own.
                    LOG.debugf("A group of %d events failed (%s); applying them one by one", group.size(), failure);
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (Pending entry : group) {
                        chain = chain.chain(() -> applyAlone(home, entry));
                    }
                    return chain;
                });
    }

    /** Never fails: the outcome goes to the event's caller. */
    private Uni<Void> applyAlone(Context home, Pending entry) {
        return retryingConflicts(home, () -> apply(entry.event(), Work.live(false)))
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
     * The events of a group in one transaction: one query finds those already logged, one loads every release they
     * name (with its stages) into the session, then each is logged and decided in order.
     */
    private Uni<List<OutboxEntry>> applyAll(List<CloudEvent> events, Work work) {
        List<String> eventIds =
                events.stream().map(CloudEvent::getId).distinct().toList();
        return EventLogEntry.<EventLogEntry>list("eventId in ?1", eventIds)
                .chain(logged -> {
                    Set<String> seen = new HashSet<>();
                    logged.forEach(entry -> seen.add(entry.eventId));
                    List<CloudEvent> fresh = new ArrayList<>();
                    for (CloudEvent event : events) {
                        if (seen.add(event.getId())) {
                            fresh.add(event);
                        }
                    }
                    Set<String> releaseIds = new HashSet<>();
                    fresh.forEach(event ->
                            Optional.ofNullable(Events.releaseId(event)).ifPresent(releaseIds::add));
                    Uni<?> loadReleases = releaseIds.isEmpty()
                            ? Uni.createFrom().voidItem()
                            : ReleaseEntity.list(
                                    "from ReleaseEntity r left join fetch r.stages where r.id in ?1", releaseIds);
                    return loadReleases.chain(() -> {
                        Uni<Void> chain = Uni.createFrom().voidItem();
                        for (CloudEvent event : fresh) {
                            chain = chain.chain(() -> log(event).chain(() -> decide(event, work)));
                        }
                        return chain;
                    });
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
        return retryingConflicts(() -> {
                    Work work = Work.live(strict);
                    return apply(event, work).chain(out -> {
                        if (out == ALREADY_APPLIED) {
                            return Uni.createFrom().item(out);
                        }
                        return outbox(event, work).replaceWith(work.out());
                    });
                })
                .onItem()
                .transformToUni(out -> relay.publish(out).replaceWith(out != ALREADY_APPLIED));
    }

    private static final List<OutboxEntry> ALREADY_APPLIED = List.of();

    /** How many events a rebuild replayed into how many releases. */
    public record Rebuilt(int events, long releases) {}

    /**
     * Throws the releases and stages away and replays the event log, in log order, into new ones: the projections
     * are a function of the log. Live writers wait on the table lock meanwhile. Maintenance windows that opened
     * are not events; a release they let go is re-admitted by the next sweep.
     */
    public Uni<Rebuilt> rebuildProjections() {
        return transactions.inTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery("lock table releases in exclusive mode")
                        .executeUpdate())
                .chain(() -> StageEntity.deleteAll())
                .chain(() -> ReleaseEntity.deleteAll())
                .chain(() -> EventLogEntry.<EventLogEntry>list("order by seq"))
                .chain(events -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (EventLogEntry entry : events) {
                        CloudEvent event =
                                EventCodec.fromFields(OutboxRelay.fields(entry.fields), EventSchema.MAX_ENTRY_BYTES);
                        chain = chain.chain(() -> decide(event, Work.replay(entry.recordedAt)));
                    }
                    return chain.chain(() -> ReleaseEntity.count())
                            .map(releases -> new Rebuilt(events.size(), releases));
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
    private <T> Uni<T> retryingConflicts(Supplier<Uni<T>> work) {
        return retryingConflicts(null, work);
    }

    private <T> Uni<T> retryingConflicts(Context home, Supplier<Uni<T>> work) {
        return (home == null ? transactions.inTransaction(work) : transactions.inTransaction(home, work))
                .onFailure(Orchestrator::isConflict)
                .retry()
                .withBackOff(Duration.ofMillis(5), Duration.ofMillis(200))
                .atMost(8);
    }

    private static boolean isConflict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof OptimisticLockException || cause instanceof StaleStateException) {
                return true;
            }
            String message = String.valueOf(cause.getMessage());
            // A concurrent replica logged the same event first: the retry finds it and does nothing.
            if (message.contains("event_log_event_id_key") || message.contains("duplicate key")) {
                return true;
            }
        }
        return false;
    }

    private Uni<List<OutboxEntry>> apply(CloudEvent event, Work work) {
        return EventLogEntry.count("eventId", event.getId()).chain(seen -> {
            if (seen > 0) {
                LOG.debugf("Event %s already applied; ignoring the redelivery", event.getId());
                return Uni.createFrom().item(ALREADY_APPLIED);
            }
            return log(event).chain(() -> decide(event, work)).replaceWith(work.out());
        });
    }

    private Uni<Void> log(CloudEvent event) {
        EventLogEntry entry = new EventLogEntry();
        entry.eventId = event.getId();
        entry.type = event.getType();
        entry.source = event.getSource().toString();
        entry.releaseId = Events.releaseId(event);
        entry.subject = event.getSubject();
        entry.eventTime = event.getTime() == null ? null : event.getTime().toInstant();
        entry.fields = OutboxRelay.json(EventCodec.toFields(event));
        entry.recordedAt = Instant.now();
        return insertDetached(entry);
    }

    /**
     * Inserts a row the session need not watch (log, outbox, audit: never changed here afterwards). Every flush
     * walks the entities a session holds, and a group would otherwise carry hundreds of these.
     */
    private static Uni<Void> insertDetached(PanacheEntityBase entity) {
        return entity.persist()
                .chain(ignored -> Panache.getSession())
                .invoke(session -> session.detach(entity))
                .replaceWithVoid();
    }

    private Uni<Void> decide(CloudEvent event, Work work) {
        EventType type = EventType.parse(event.getType());
        if (EventType.RELEASE_PUBLISHED.equals(type.value())) {
            return publish(event, work);
        }
        String releaseId = Events.releaseId(event);
        if (releaseId == null) {
            return Uni.createFrom().voidItem();
        }
        if (EventType.RELEASE_COMMAND.equals(type.value())) {
            ReleaseCommand command = Events.payload(event, ReleaseCommand.class);
            return onRelease(releaseId, work, (release, pipeline, now) -> {
                        audit(
                                work,
                                releaseId,
                                command.requestedBy(),
                                command.command().wire(),
                                command.reason());
                        return release.command(command.command(), command.requestedBy(), pipeline, now);
                    })
                    .onFailure(IllegalTransitionException.class)
                    .recoverWithUni(failure -> {
                        if (work.strict()) {
                            return Uni.createFrom().failure(failure);
                        }
                        LOG.warnf("Release %s: command refused: %s", releaseId, failure.getMessage());
                        return audit(
                                work,
                                releaseId,
                                command.requestedBy(),
                                "refused " + command.command().wire(),
                                failure.getMessage());
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
                    releaseId,
                    work,
                    (release, pipeline, now) ->
                            release.rollbackFinished(triggeredId, finished.result(), finished.message(), now));
        }
        return switch (type.phase()) {
            case STARTED ->
                onRelease(releaseId, work, (release, pipeline, now) -> release.stageStarted(triggeredId, now));
            case PROGRESSED -> {
                TaskProgressed progressed = Events.payload(event, TaskProgressed.class);
                yield onRelease(
                        releaseId,
                        work,
                        (release, pipeline, now) -> release.stageProgressed(triggeredId, progressed.step(), now));
            }
            case FINISHED -> {
                TaskFinished finished = Events.payload(event, TaskFinished.class);
                yield onRelease(
                        releaseId,
                        work,
                        (release, pipeline, now) -> release.stageFinished(
                                triggeredId, finished.result(), finished.message(), finished.details(), now));
            }
            default -> Uni.createFrom().voidItem();
        };
    }

    private Uni<Void> publish(CloudEvent event, Work work) {
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
        return lockSlot(request.environment(), request.service())
                .chain(() -> ReleaseEntity.<ReleaseEntity>findById(releaseId))
                .chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().voidItem();
                    }
                    Release release = Release.publish(releaseId, request, pipeline.get(), now);
                    return supersedeQueued(request, releaseId, now, work)
                            .chain(() -> ReleaseMapper.write(release, pipeline.get(), new ReleaseEntity())
                                    .persist())
                            .chain(() -> audit(
                                    work,
                                    releaseId,
                                    request.requestedBy() == null ? "unknown" : request.requestedBy(),
                                    "publish",
                                    request.service() + " " + request.version() + " to " + request.environment()))
                            .chain(() -> admitNext(request.environment(), request.service(), work));
                });
    }

    private Uni<Void> supersedeQueued(ReleasePublished request, String newerId, Instant now, Work work) {
        if (!config.supersedeQueued()) {
            return Uni.createFrom().voidItem();
        }
        return ReleaseEntity.<ReleaseEntity>list(
                        "environment = ?1 and service = ?2 and state = ?3",
                        request.environment(),
                        request.service(),
                        ReleaseState.QUEUED.name())
                .chain(queued -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (ReleaseEntity entity : queued) {
                        Release older = ReleaseMapper.toDomain(entity);
                        older.supersede(newerId, now);
                        ReleaseMapper.write(older, pipelineOf(older), entity);
                        chain = chain.chain(
                                () -> audit(work, older.id(), "coordinator", "superseded", "by " + newerId));
                    }
                    return chain;
                });
    }

    /** If nothing holds the (environment, service) slot, the oldest queued release takes it. */
    private Uni<Void> admitNext(String environment, String service, Work work) {
        return lockSlot(environment, service)
                // One query, so one flush of the session: each flush walks every entity the session holds.
                .chain(() -> ReleaseEntity.<ReleaseEntity>find(
                                "environment = ?1 and service = ?2 and state = ?3 and not exists (select 1 from ReleaseEntity a"
                                        + " where a.environment = ?1 and a.service = ?2 and a.state in ?4)"
                                        + " order by createdAt",
                                environment,
                                service,
                                ReleaseState.QUEUED.name(),
                                ACTIVE_STATES)
                        .<ReleaseEntity>firstResult())
                .chain((ReleaseEntity next) -> {
                    if (next == null) {
                        return Uni.createFrom().voidItem();
                    }
                    Release release = ReleaseMapper.toDomain(next);
                    Pipeline pipeline = pipelineOf(release);
                    List<Effect> effects = release.admit(pipeline, work.now());
                    ReleaseMapper.write(release, pipeline, next);
                    return carryOut(release, effects, work);
                });
    }

    @FunctionalInterface
    interface Decision {
        List<Effect> apply(Release release, Pipeline pipeline, Instant now);
    }

    /** Loads the release, applies the decision, writes it back (version-checked) and carries out the effects. */
    Uni<Void> onRelease(String releaseId, Work work, Decision decision) {
        return ReleaseEntity.<ReleaseEntity>findById(releaseId).chain(entity -> {
            if (entity == null) {
                LOG.debugf("Event for unknown release %s; recorded only", releaseId);
                return Uni.createFrom().voidItem();
            }
            Release release = ReleaseMapper.toDomain(entity);
            Pipeline pipeline = pipelineOf(release);
            List<Effect> effects = decision.apply(release, pipeline, work.now());
            ReleaseMapper.write(release, pipeline, entity);
            return carryOut(release, effects, work);
        });
    }

    private Uni<Void> carryOut(Release release, List<Effect> effects, Work work) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Effect effect : effects) {
            chain = chain.chain(() -> carryOut(release, effect, work));
        }
        return chain;
    }

    private Uni<Void> carryOut(Release release, Effect effect, Work work) {
        if (effect instanceof Effect.TriggerStage trigger) {
            StageRun stage = release.stages().get(trigger.position());
            LOG.debugf(
                    "Release %s (%s %s to %s): %s triggered",
                    release.id(),
                    release.request().service(),
                    release.request().version(),
                    release.request().environment(),
                    stage.task().id());
            return outbox(
                    StageCommands.trigger(
                            release,
                            stage,
                            pipelines.backupVerify(release.request().environment())),
                    work);
        }
        if (effect instanceof Effect.TriggerRollback rollback) {
            if (!work.replay()) {
                LOG.warnf("Release %s: rolling back: %s", release.id(), rollback.reason());
            }
            return outbox(StageCommands.rollback(release, rollback.eventId(), rollback.reason()), work);
        }
        if (effect instanceof Effect.AnnounceWindow window) {
            return outbox(StageCommands.announcement(release, window.opening(), window.closing()), work);
        }
        Logger.Level level = work.replay() ? Logger.Level.DEBUG : Logger.Level.INFO;
        LOG.logf(
                level,
                "Release %s is %s%s",
                release.id(),
                release.state(),
                release.reason() == null ? "" : ": " + release.reason());
        return admitNext(release.request().environment(), release.request().service(), work);
    }

    Uni<Void> outbox(CloudEvent event, Work work) {
        if (work.replay()) {
            return Uni.createFrom().voidItem();
        }
        OutboxEntry entry = new OutboxEntry();
        entry.eventId = event.getId();
        entry.fields = OutboxRelay.json(EventCodec.toFields(event));
        entry.createdAt = Instant.now();
        work.out().add(entry);
        return insertDetached(entry);
    }

    private Uni<Void> audit(Work work, String releaseId, String actor, String action, String detail) {
        if (work.replay()) {
            return Uni.createFrom().voidItem();
        }
        AuditEntry entry = new AuditEntry();
        entry.releaseId = releaseId;
        entry.actor = actor;
        entry.action = action;
        entry.detail = detail;
        entry.at = Instant.now();
        return insertDetached(entry);
    }

    /** Serialises the transactions that fill or free one (environment, service) slot, across replicas. */
    private Uni<Void> lockSlot(String environment, String service) {
        return Panache.getSession()
                .chain(session -> session.createNativeQuery(
                                "select 1 from (select pg_advisory_xact_lock(hashtext(?1))) as locked", Integer.class)
                        .setParameter(1, environment + "/" + service)
                        // Taking a lock reads no table: nothing needs flushing first.
                        .setFlushMode(FlushMode.MANUAL)
                        .getSingleResult())
                .replaceWithVoid();
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
