package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.MalformedEventException;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.catalog.EventCatalog;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * One consumer of one consumer group on one stream.
 *
 * <p>A single read is outstanding at a time: first this consumer's own pending entries (left by an earlier run
 * under the same name), then, every reclaim interval, entries idle in other consumers' pending lists (XAUTOCLAIM),
 * and otherwise new entries (XREADGROUP with BLOCK). Reads never ask for more than the free in-flight capacity,
 * which is the backpressure. An entry is acknowledged only after its message is acked; acknowledgements are
 * batched into one XACK per round trip. Nacked messages are retried here with backoff until max-attempts, then
 * dead-lettered; entries that cannot be decoded are dead-lettered at once.
 */
final class InboundChannel {

    private static final Logger LOG = Logger.getLogger(InboundChannel.class);
    private static final long MAX_BACKOFF_MS = 5_000;
    private static final long MAX_RETRY_DELAY_MS = 30_000;
    /** A read outstanding this much longer than its BLOCK is presumed lost (half-open connection). */
    private static final long READ_TIMEOUT_MARGIN_MS = 10_000;

    private static final int MAX_ACK_BATCH = 2_048;
    private static final int MAX_REASON_CHARS = 1_000;

    private final Redis redis;
    private final Vertx vertx;
    private final InboundSettings settings;
    private final StreamMetrics metrics;

    private final AtomicInteger inFlight = new AtomicInteger();
    /** Entry id → when it was handed to the application, for the heartbeat's handling limit. */
    private final Map<String, Long> inFlightSince = new ConcurrentHashMap<>();
    /** Entries waiting for a retry timer: released at once on shutdown. */
    private final Map<String, Long> retryTimers = new ConcurrentHashMap<>();

    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final AtomicBoolean reading = new AtomicBoolean();
    private final AtomicLong readGeneration = new AtomicLong();
    private final ConcurrentLinkedQueue<String> acks = new ConcurrentLinkedQueue<>();
    /** Handled entries whose XACK has not been confirmed; a reclaim sweep must not hand them out again. */
    private final Set<String> acksUnconfirmed = ConcurrentHashMap.newKeySet();

    private final AtomicBoolean acking = new AtomicBoolean();

    private volatile MultiEmitter<? super Message<?>> emitter;
    private volatile boolean started;
    private volatile boolean stopping;
    private volatile boolean groupReady;
    private volatile boolean groupEverCreated;
    private volatile boolean redisReachable;
    private volatile String lastError = "not started";
    private volatile long readStartedAt;
    private volatile long nextReadAllowedAt;
    private volatile boolean ownBacklogDrained;
    private volatile String backlogCursor = "0";
    private volatile String reclaimCursor = "0-0";
    private volatile long nextReclaimAt;
    private volatile long failureBackoffMs;
    private volatile long probeTimer = -1;
    private volatile long heartbeatTimer = -1;

    InboundChannel(Redis redis, Vertx vertx, InboundSettings settings, StreamMetrics metrics) {
        this.redis = redis;
        this.vertx = vertx;
        this.settings = settings;
        this.metrics = metrics;
    }

    Multi<Message<?>> messages() {
        return Multi.createFrom()
                .<Message<?>>emitter(
                        emitter -> {
                            if (!subscribed.compareAndSet(false, true)) {
                                emitter.fail(new IllegalStateException(
                                        "channel " + settings.channel() + " takes a single subscriber"));
                                return;
                            }
                            this.emitter = emitter;
                            emitter.onTermination(() -> {
                                if (!stopping) {
                                    LOG.infof("Channel %s lost its subscriber; stopping", settings.channel());
                                    stop();
                                }
                            });
                            start();
                        },
                        BackPressureStrategy.BUFFER);
    }

    InboundSettings settings() {
        return settings;
    }

    /** A stalled read is caught by the heartbeat's watchdog, which marks Redis unreachable. */
    boolean ready() {
        return started && !stopping && groupReady && redisReachable;
    }

    String status() {
        if (stopping) {
            return "stopping";
        }
        if (ready()) {
            return "reading " + settings.stream() + " as " + settings.group() + "/" + settings.consumer();
        }
        return lastError;
    }

    private void start() {
        started = true;
        LOG.infof(
                "Channel %s reads stream %s as group %s, consumer %s",
                settings.channel(), settings.stream(), settings.group(), settings.consumer());
        ensureGroup().onComplete(ar -> pump());
        probeTimer = vertx.setPeriodic(settings.metricsIntervalMs(), id -> probe());
        heartbeatTimer = vertx.setPeriodic(heartbeatIntervalMs(), id -> heartbeat());
    }

    /** Often enough that a live handler's entries never look abandoned to peers. */
    private long heartbeatIntervalMs() {
        return Math.max(50, Math.min(10_000, settings.reclaimIdleMs() / 3));
    }

    private Future<Void> ensureGroup() {
        // A group that vanished (Redis restarted without its data) is re-created from the start of the stream,
        // so entries written in the meantime are not skipped even when start-from is "$".
        String from = groupEverCreated ? "0" : settings.startFrom();
        Request create = Request.cmd(Command.XGROUP)
                .arg("CREATE")
                .arg(settings.stream())
                .arg(settings.group())
                .arg(from)
                .arg("MKSTREAM");
        return redis.send(create).transform(ar -> {
            if (ar.succeeded() || String.valueOf(ar.cause().getMessage()).startsWith("BUSYGROUP")) {
                groupReady = true;
                groupEverCreated = true;
                redisReachable = true;
                return Future.succeededFuture();
            }
            recordFailure("cannot create consumer group", ar.cause());
            return Future.failedFuture(ar.cause());
        });
    }

    /** Starts the next read unless one is outstanding, the channel is stopping or backing off, or is full. */
    private void pump() {
        while (!stopping && System.currentTimeMillis() >= nextReadAllowedAt) {
            if (!reading.compareAndSet(false, true)) {
                return;
            }
            int capacity = settings.maxInFlight() - inFlight.get();
            if (capacity > 0) {
                readOnce(Math.min(capacity, settings.batchSize()));
                return;
            }
            reading.set(false);
            // An acknowledgement that landed between the capacity check and the flag reset would be missed.
            if (settings.maxInFlight() - inFlight.get() <= 0) {
                return;
            }
        }
    }

    private void readOnce(int count) {
        long generation = readGeneration.incrementAndGet();
        readStartedAt = System.currentTimeMillis();
        Future<List<Delivery>> next;
        if (!groupReady) {
            next = ensureGroup().map(ignored -> List.of());
        } else if (!ownBacklogDrained) {
            next = readOwnBacklog(count);
        } else if (!"0-0".equals(reclaimCursor) || System.currentTimeMillis() >= nextReclaimAt) {
            next = reclaim(count);
        } else {
            next = readNew(count);
        }
        next.onComplete(ar -> {
            if (generation != readGeneration.get()) {
                // Given up by the watchdog: entries it brought stay pending and return through the reclaim sweep.
                return;
            }
            try {
                if (ar.succeeded()) {
                    onReadSuccess();
                    deliverAll(ar.result());
                } else {
                    onReadFailure(ar.cause());
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "Channel %s failed to deliver a batch", settings.channel());
                onReadFailure(e);
            } finally {
                reading.set(false);
            }
            pump();
        });
    }

    private void onReadSuccess() {
        if (failureBackoffMs > 0) {
            LOG.infof("Channel %s is reading %s again", settings.channel(), settings.stream());
        }
        redisReachable = true;
        failureBackoffMs = 0;
    }

    private void onReadFailure(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        if (message.startsWith("NOGROUP")) {
            // The stream or group vanished (Redis restarted without persistence, or someone deleted it).
            groupReady = false;
        } else if (!(failure instanceof ErrorType)) {
            redisReachable = false;
        }
        recordFailure("read failed", failure);
        failureBackoffMs = failureBackoffMs == 0 ? 100 : Math.min(MAX_BACKOFF_MS, failureBackoffMs * 2);
        nextReadAllowedAt = System.currentTimeMillis() + failureBackoffMs;
        vertx.setTimer(failureBackoffMs, id -> pump());
    }

    /** XREADGROUP from {@code id}: {@code >} for new entries (blocking), an entry id for this consumer's own. */
    private Request readGroup(int count, String id) {
        Request read = Request.cmd(Command.XREADGROUP)
                .arg("GROUP")
                .arg(settings.group())
                .arg(settings.consumer())
                .arg("COUNT")
                .arg(count);
        if (">".equals(id)) {
            read.arg("BLOCK").arg(settings.blockMs());
        }
        return read.arg("STREAMS").arg(settings.stream()).arg(id);
    }

    private Future<List<Delivery>> readNew(int count) {
        return redis.send(readGroup(count, ">")).map(reply -> {
            List<StreamEntry> entries = RedisReplies.readGroupEntries(reply);
            List<Delivery> deliveries = new ArrayList<>(entries.size());
            for (StreamEntry entry : entries) {
                deliveries.add(new Delivery(entry, 1));
            }
            return deliveries;
        });
    }

    /** Entries this consumer name was given before (by a run that stopped before acknowledging them). */
    private Future<List<Delivery>> readOwnBacklog(int count) {
        return redis.send(readGroup(count, backlogCursor)).compose(reply -> {
            List<StreamEntry> entries = RedisReplies.readGroupEntries(reply);
            if (entries.isEmpty()) {
                ownBacklogDrained = true;
                return Future.succeededFuture(List.of());
            }
            backlogCursor = entries.get(entries.size() - 1).id();
            entries.removeIf(entry -> isHeld(entry.id()));
            if (entries.isEmpty()) {
                return Future.succeededFuture(List.of());
            }
            LOG.infof(
                    "Channel %s resumes %d entries left pending by an earlier run of consumer %s",
                    settings.channel(), entries.size(), settings.consumer());
            return withDeliveryCounts(entries);
        });
    }

    private Future<List<Delivery>> reclaim(int count) {
        if ("0-0".equals(reclaimCursor)) {
            nextReclaimAt = System.currentTimeMillis() + settings.reclaimIntervalMs();
        }
        Request claim = Request.cmd(Command.XAUTOCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(settings.reclaimIdleMs())
                .arg(reclaimCursor)
                .arg("COUNT")
                .arg(count);
        return redis.send(claim)
                .compose(reply -> {
                    RedisReplies.AutoClaim result = RedisReplies.autoClaim(reply);
                    reclaimCursor = result.nextCursor();
                    if (!result.deletedIds().isEmpty()) {
                        metrics.trimmed.increment(result.deletedIds().size());
                        LOG.warnf(
                                "%d pending entries of %s were trimmed (MAXLEN) before group %s handled them: %s",
                                result.deletedIds().size(), settings.stream(), settings.group(), result.deletedIds());
                    }
                    List<StreamEntry> entries = new ArrayList<>(result.entries());
                    entries.removeIf(entry -> isHeld(entry.id()));
                    if (entries.isEmpty()) {
                        return Future.succeededFuture(List.<Delivery>of());
                    }
                    return withDeliveryCounts(entries).onSuccess(deliveries -> {
                        metrics.reclaimed.increment(deliveries.size());
                        LOG.warnf(
                                "Channel %s reclaimed %d entries of %s idle for over %d ms",
                                settings.channel(), deliveries.size(), settings.stream(), settings.reclaimIdleMs());
                    });
                })
                .onFailure(failure -> reclaimCursor = "0-0");
    }

    /** Whether this consumer is handling the entry now, or handled it and is acknowledging it. */
    private boolean isHeld(String id) {
        return inFlightSince.containsKey(id) || acksUnconfirmed.contains(id);
    }

    /** Redis counts deliveries per entry, across consumers and restarts; that count is the attempt number. */
    private Future<List<Delivery>> withDeliveryCounts(List<StreamEntry> entries) {
        List<Request> lookups = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            lookups.add(Request.cmd(Command.XPENDING)
                    .arg(settings.stream())
                    .arg(settings.group())
                    .arg(entry.id())
                    .arg(entry.id())
                    .arg(1));
        }
        return redis.batch(lookups).map(replies -> {
            Map<String, Integer> counts = RedisReplies.deliveryCounts(replies);
            List<Delivery> deliveries = new ArrayList<>(entries.size());
            for (StreamEntry entry : entries) {
                deliveries.add(new Delivery(entry, Math.max(1, counts.getOrDefault(entry.id(), 1))));
            }
            return deliveries;
        });
    }

    private void deliverAll(List<Delivery> deliveries) {
        if (stopping) {
            // Read completed after stop began: leave the entries pending for a peer or the next run.
            release(deliveries.stream().map(d -> d.entry().id()).toList());
            return;
        }
        for (Delivery delivery : deliveries) {
            deliver(delivery);
        }
    }

    private void deliver(Delivery delivery) {
        StreamEntry entry = delivery.entry();
        if (entry.fields() == null) {
            metrics.trimmed.increment();
            LOG.warnf(
                    "Entry %s of %s was trimmed (MAXLEN) before group %s handled it; acknowledging the gap",
                    entry.id(), settings.stream(), settings.group());
            queueAck(entry.id());
            return;
        }
        if (inFlightSince.putIfAbsent(entry.id(), System.currentTimeMillis()) != null) {
            return;
        }
        inFlight.incrementAndGet();
        if (delivery.attempt() > settings.maxAttempts()) {
            deadLetter(
                    delivery,
                    "delivered " + (delivery.attempt() - 1) + " times without an acknowledgement"
                            + " (consumers stopped or crashed while handling it)");
            return;
        }
        Object payload;
        try {
            payload = settings.payloadFormat().decode(entry.fields(), settings.maxEntryBytes());
        } catch (MalformedEventException e) {
            deadLetter(delivery, "malformed entry: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            deadLetter(delivery, "entry could not be decoded: " + e);
            return;
        }
        emit(delivery, payload);
    }

    private void emit(Delivery delivery, Object payload) {
        String id = delivery.entry().id();
        AtomicBoolean settled = new AtomicBoolean();
        IncomingRedisStreamsMetadata metadata = new IncomingRedisStreamsMetadata(
                settings.stream(), id, settings.group(), settings.consumer(), delivery.attempt());
        Message<Object> message = Message.of(
                payload,
                Metadata.of(metadata),
                () -> {
                    if (settled.compareAndSet(false, true)) {
                        onAck(id);
                    }
                    return CompletableFuture.completedFuture(null);
                },
                failure -> {
                    if (settled.compareAndSet(false, true)) {
                        onNack(delivery, payload, failure);
                    }
                    return CompletableFuture.completedFuture(null);
                });
        // Each message is handled on a duplicated context of its own, as Quarkus's connectors do, so handlers can
        // use Hibernate Reactive, request-scoped state and tracing. Mutiny's emitter serialises concurrent emissions.
        ContextInternal duplicated = ((ContextInternal) vertx.getOrCreateContext()).duplicate();
        duplicated.emit(message, handed -> {
            VertxContextSafetyToggle.setCurrentContextSafe(true);
            emitter.emit(handed);
        });
    }

    /**
     * The handler is done: the entry's XACK is queued and sent with the next batch. A crash before that XACK
     * leaves the entry pending, so it is redelivered (at-least-once), never lost.
     */
    private void onAck(String id) {
        metrics.processed.increment();
        queueAck(id);
        settle(id);
    }

    private void queueAck(String id) {
        acksUnconfirmed.add(id);
        acks.add(id);
        flushAcks();
    }

    private void onNack(Delivery delivery, Object payload, Throwable failure) {
        metrics.failed.increment();
        String reason = describe(failure);
        if (failure instanceof RetryLaterException later) {
            long delay = Math.max(10, Math.min(MAX_RETRY_DELAY_MS, later.delayMs()));
            LOG.debugf(
                    "Entry %s of %s is retried in %d ms: %s", delivery.entry().id(), settings.stream(), delay, reason);
            scheduleRetry(delivery, payload, delay, false);
        } else if (failure instanceof MalformedEventException) {
            deadLetter(delivery, "rejected by the handler: " + reason);
        } else if (delivery.attempt() >= settings.maxAttempts()) {
            deadLetter(delivery, "handler failed " + delivery.attempt() + " times, last: " + reason);
        } else {
            long delay =
                    Math.min(MAX_RETRY_DELAY_MS, settings.retryBackoffMs() << Math.min(10, delivery.attempt() - 1));
            LOG.warnf(
                    "Handler of channel %s failed on entry %s (attempt %d of %d), retrying in %d ms: %s",
                    settings.channel(),
                    delivery.entry().id(),
                    delivery.attempt(),
                    settings.maxAttempts(),
                    delay,
                    reason);
            scheduleRetry(delivery, payload, delay, true);
        }
    }

    private void scheduleRetry(Delivery delivery, Object payload, long delayMs, boolean countsAsAttempt) {
        String id = delivery.entry().id();
        if (stopping) {
            release(List.of(id));
            settle(id);
            return;
        }
        long timer = vertx.setTimer(Math.max(1, delayMs), ignored -> {
            if (retryTimers.remove(id) != null) {
                retry(delivery, payload, countsAsAttempt);
            }
        });
        retryTimers.put(id, timer);
    }

    /** Sets the delivery count in Redis first, so the attempt number survives a crash during the retry. */
    private void retry(Delivery delivery, Object payload, boolean countsAsAttempt) {
        String id = delivery.entry().id();
        int attempt = countsAsAttempt ? delivery.attempt() + 1 : delivery.attempt();
        Request claim = Request.cmd(Command.XCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(0)
                .arg(id)
                .arg("RETRYCOUNT")
                .arg(attempt)
                .arg("JUSTID");
        redis.send(claim).onComplete(ar -> {
            if (ar.failed()) {
                recordFailure("could not count the retry of " + id + "; it stays pending", ar.cause());
                settle(id);
            } else if (ar.result() == null || ar.result().size() == 0) {
                LOG.infof("Entry %s is no longer pending for %s; not retrying", id, settings.consumer());
                settle(id);
            } else if (stopping) {
                release(List.of(id));
                settle(id);
            } else {
                emit(new Delivery(delivery.entry(), attempt), payload);
            }
        });
    }

    /**
     * Writes the entry to the dead-letter stream, then acknowledges it. A failure in between leaves it pending
     * (and, at worst, dead-lettered twice): it is never acknowledged without having been written.
     */
    private void deadLetter(Delivery delivery, String reason) {
        StreamEntry entry = delivery.entry();
        String cappedReason = reason.length() > MAX_REASON_CHARS ? reason.substring(0, MAX_REASON_CHARS) + "…" : reason;
        Request add = Request.cmd(Command.XADD)
                .arg(settings.deadLetterStream())
                .arg("MAXLEN")
                .arg("~")
                .arg(settings.deadLetterMaxLen())
                .arg("*");
        Map<String, String> fields = new HashMap<>(entry.fields() == null ? Map.of() : entry.fields());
        fields.put(EntryFields.DLQ_REASON, cappedReason);
        fields.put(EntryFields.DLQ_ORIGINAL_ID, entry.id());
        fields.put(EntryFields.DLQ_STREAM, settings.stream());
        fields.put(EntryFields.DLQ_GROUP, settings.group());
        fields.put(EntryFields.DLQ_CONSUMER, settings.consumer());
        fields.put(EntryFields.DLQ_ATTEMPTS, Integer.toString(delivery.attempt()));
        fields.put(EntryFields.DLQ_TIME, Instant.now().toString());
        fields.forEach((name, value) -> add.arg(name).arg(value == null ? "" : value));
        redis.send(add).onComplete(ar -> {
            if (ar.failed()) {
                recordFailure("could not dead-letter entry " + entry.id() + "; it stays pending", ar.cause());
                settle(entry.id());
                return;
            }
            metrics.deadLettered.increment();
            LOG.warnf(
                    "Moved entry %s of %s to %s after %d attempt(s): %s",
                    entry.id(), settings.stream(), settings.deadLetterStream(), delivery.attempt(), cappedReason);
            answerRejectedCommand(entry, cappedReason).onComplete(answered -> {
                queueAck(entry.id());
                settle(entry.id());
            });
        });
    }

    /**
     * A dead-lettered {@code .triggered} command is answered with a failed {@code .finished} naming the reason, so
     * the release it belongs to fails at once instead of waiting for the owner's start timeout. Best effort: the
     * entry is in the dead-letter stream either way.
     */
    private Future<Void> answerRejectedCommand(StreamEntry entry, String reason) {
        Map<String, String> fields = entry.fields() == null ? Map.of() : entry.fields();
        String id = fields.get(EntryFields.ID);
        EventType type = commandType(fields.get(EntryFields.TYPE));
        if ("none".equals(settings.rejectionReplyStream()) || type == null || id == null || id.isBlank()) {
            return Future.succeededFuture();
        }
        CloudEvent answer;
        try {
            answer = Events.of(
                            type.task().type(Phase.FINISHED),
                            settings.group(),
                            new TaskFinished(
                                    type.task().id(),
                                    Result.FAIL,
                                    "rejected by " + settings.group() + ": " + reason,
                                    Map.of("rejected", true)))
                    .id(id + ".finished")
                    .releaseId(fields.get(EntryFields.RELEASE_ID))
                    .triggeredId(id)
                    .causationId(id)
                    .subject(fields.get(EntryFields.SUBJECT))
                    .build();
        } catch (RuntimeException e) {
            LOG.debugf("Not answering rejected entry %s: %s", entry.id(), e.getMessage());
            return Future.succeededFuture();
        }
        Request add =
                Request.cmd(Command.XADD).arg(settings.rejectionReplyStream()).arg("*");
        EventCodec.toFields(answer).forEach((name, value) -> add.arg(name).arg(value));
        return redis.send(add).transform(ar -> {
            if (ar.failed()) {
                LOG.warnf("Could not answer the rejected command %s: %s", id, describe(ar.cause()));
            }
            return Future.succeededFuture();
        });
    }

    private static EventType commandType(String type) {
        if (type == null || !EventCatalog.isKnown(type)) {
            return null;
        }
        EventType parsed = EventType.parse(type);
        return parsed.isTaskEvent() && parsed.phase() == Phase.TRIGGERED ? parsed : null;
    }

    private void flushAcks() {
        if (!acking.compareAndSet(false, true)) {
            return;
        }
        List<String> ids = new ArrayList<>();
        String id;
        while (ids.size() < MAX_ACK_BATCH && (id = acks.poll()) != null) {
            ids.add(id);
        }
        if (ids.isEmpty()) {
            acking.set(false);
            if (!acks.isEmpty()) {
                flushAcks();
            }
            return;
        }
        Request xack = Request.cmd(Command.XACK).arg(settings.stream()).arg(settings.group());
        for (String entryId : ids) {
            xack.arg(entryId);
        }
        redis.send(xack).onComplete(ar -> {
            acking.set(false);
            if (ar.failed()) {
                // The handlers are done; keep the ids and try again, or the entries would be handled twice.
                acks.addAll(ids);
                recordFailure("acknowledgement failed, will retry", ar.cause());
                vertx.setTimer(Math.max(100, failureBackoffMs), timer -> flushAcks());
            } else {
                ids.forEach(acksUnconfirmed::remove);
                flushAcks();
            }
        });
    }

    private void settle(String id) {
        if (inFlightSince.remove(id) != null) {
            inFlight.decrementAndGet();
        }
        pump();
    }

    /** Makes entries this consumer holds immediately claimable by peers (their idle time jumps past the limit). */
    private Future<Void> release(List<String> ids) {
        if (ids.isEmpty()) {
            return Future.succeededFuture();
        }
        Request claim = Request.cmd(Command.XCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(0);
        ids.forEach(claim::arg);
        claim.arg("IDLE").arg(settings.reclaimIdleMs()).arg("JUSTID");
        return redis.send(claim).transform(ar -> {
            if (ar.failed()) {
                LOG.infof(
                        "Could not release %d entries early (%s); peers reclaim them after %d ms idle",
                        ids.size(), describe(ar.cause()), settings.reclaimIdleMs());
            }
            return Future.succeededFuture();
        });
    }

    /** Refreshes the gauges; a scrape reads these values and never waits for Redis. */
    private void probe() {
        if (stopping) {
            return;
        }
        List<Request> requests = List.of(
                Request.cmd(Command.XLEN).arg(settings.stream()),
                Request.cmd(Command.XINFO).arg("GROUPS").arg(settings.stream()),
                Request.cmd(Command.XPENDING).arg(settings.stream()).arg(settings.group()),
                Request.cmd(Command.XLEN).arg(settings.deadLetterStream()));
        redis.batch(requests).onComplete(ar -> {
            if (ar.failed()) {
                String message = String.valueOf(ar.cause().getMessage());
                if (message.startsWith("ERR no such key") || message.startsWith("NOGROUP")) {
                    groupReady = false;
                } else if (!(ar.cause() instanceof ErrorType)) {
                    redisReachable = false;
                }
                recordFailure("probe failed", ar.cause());
                return;
            }
            redisReachable = true;
            List<Response> replies = ar.result();
            Map<String, String> group = RedisReplies.group(replies.get(1), settings.group());
            if (group == null) {
                groupReady = false;
                return;
            }
            groupReady = true;
            Response pending = replies.get(2);
            long oldestAgeMs = 0;
            if (pending != null && pending.size() > 1 && pending.get(1) != null) {
                oldestAgeMs = Math.max(
                        0,
                        System.currentTimeMillis()
                                - StreamEntry.timestampOf(pending.get(1).toString()));
            }
            metrics.observe(
                    replies.get(0).toLong(),
                    RedisReplies.longOr(group.get("lag"), -1),
                    RedisReplies.longOr(group.get("pending"), 0),
                    oldestAgeMs,
                    replies.get(3).toLong());
        });
    }

    /**
     * Keeps the entries of handlers still at work from looking abandoned to peers (resets their idle time), up to
     * max-handling-ms; and gives up a read that outlived its BLOCK by far (a half-open connection).
     */
    private void heartbeat() {
        long now = System.currentTimeMillis();
        if (reading.get() && now - readStartedAt > settings.blockMs() + READ_TIMEOUT_MARGIN_MS) {
            readGeneration.incrementAndGet();
            reading.set(false);
            redisReachable = false;
            recordFailure("read timed out", new IllegalStateException("no reply for " + (now - readStartedAt) + " ms"));
            pump();
        }
        List<String> alive = new ArrayList<>();
        for (Map.Entry<String, Long> held : inFlightSince.entrySet()) {
            long age = now - held.getValue();
            if (age <= settings.maxHandlingMs()) {
                alive.add(held.getKey());
            } else if (age <= settings.maxHandlingMs() + heartbeatIntervalMs()) {
                LOG.warnf(
                        "Handler of channel %s has held entry %s for %d ms (max-handling-ms); peers may now reclaim it",
                        settings.channel(), held.getKey(), age);
            }
        }
        if (alive.isEmpty()) {
            return;
        }
        Request claim = Request.cmd(Command.XCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(0);
        alive.forEach(claim::arg);
        claim.arg("JUSTID");
        redis.send(claim);
    }

    /**
     * Stops reading, gives in-flight handlers until the shutdown timeout to finish, flushes acknowledgements, and
     * releases whatever is still unfinished to peers. Nothing is acknowledged that was not handled.
     */
    CompletionStage<Void> stop() {
        // Both the subscriber going away and the application's shutdown stop the channel; both wait for the drain.
        if (!stopRequested.compareAndSet(false, true)) {
            return stopped;
        }
        stopping = true;
        if (probeTimer >= 0) {
            vertx.cancelTimer(probeTimer);
        }
        for (Map.Entry<String, Long> waiting : Map.copyOf(retryTimers).entrySet()) {
            if (retryTimers.remove(waiting.getKey()) != null) {
                vertx.cancelTimer(waiting.getValue());
                release(List.of(waiting.getKey()));
                settle(waiting.getKey());
            }
        }
        CompletableFuture<Void> drained = new CompletableFuture<>();
        awaitDrained(System.currentTimeMillis() + settings.shutdownTimeoutMs(), drained);
        drained.whenComplete((ignored, failure) -> {
            if (heartbeatTimer >= 0) {
                vertx.cancelTimer(heartbeatTimer);
            }
            MultiEmitter<? super Message<?>> target = emitter;
            if (target != null) {
                target.complete();
            }
            stopped.complete(null);
        });
        return stopped;
    }

    private void awaitDrained(long deadline, CompletableFuture<Void> done) {
        // Reading first: a read completing between the two checks adds in-flight entries.
        boolean readIdle = !reading.get();
        boolean handlersDone = inFlight.get() == 0;
        boolean acksDone = acks.isEmpty() && !acking.get();
        if ((readIdle && handlersDone && acksDone) || System.currentTimeMillis() >= deadline) {
            List<String> unfinished = List.copyOf(inFlightSince.keySet());
            if (!unfinished.isEmpty()) {
                LOG.warnf(
                        "Channel %s stopped with %d entries unfinished; they stay pending and peers reclaim them",
                        settings.channel(), unfinished.size());
            }
            if (!acks.isEmpty()) {
                LOG.warnf(
                        "Channel %s stopped before %d acknowledgements reached Redis; those entries will be"
                                + " delivered again",
                        settings.channel(), acks.size());
            }
            release(unfinished).onComplete(ar -> {
                LOG.infof("Channel %s stopped", settings.channel());
                done.complete(null);
            });
            return;
        }
        flushAcks();
        vertx.setTimer(20, id -> awaitDrained(deadline, done));
    }

    private void recordFailure(String what, Throwable failure) {
        String message = what + " on " + settings.stream() + ": " + describe(failure);
        if (!message.equals(lastError)) {
            LOG.warnf("Channel %s: %s", settings.channel(), message);
        }
        lastError = message;
    }

    private static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown failure";
        }
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }

    record Delivery(StreamEntry entry, int attempt) {}
}
