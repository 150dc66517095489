package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.MalformedEventException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
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
    private static final int MAX_ACK_BATCH = 2_048;

    private final Redis redis;
    private final Vertx vertx;
    private final InboundSettings settings;
    private final StreamMetrics metrics;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<String> inFlightIds = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean reading = new AtomicBoolean();
    private final ConcurrentLinkedQueue<String> acks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean acking = new AtomicBoolean();
    private final Object emitLock = new Object();

    private volatile MultiEmitter<? super Message<?>> emitter;
    private volatile boolean started;
    private volatile boolean stopping;
    private volatile boolean groupReady;
    private volatile boolean redisReachable;
    private volatile String lastError = "not started";
    private volatile boolean ownBacklogDrained;
    private volatile String backlogCursor = "0";
    private volatile String reclaimCursor = "0-0";
    private volatile long nextReclaimAt;
    private volatile long failureBackoffMs;
    private volatile long probeTimer = -1;

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
                            this.emitter = emitter;
                            start();
                        },
                        BackPressureStrategy.BUFFER);
    }

    InboundSettings settings() {
        return settings;
    }

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

    int inFlight() {
        return inFlight.get();
    }

    private void start() {
        started = true;
        LOG.infof(
                "Channel %s reads stream %s as group %s, consumer %s",
                settings.channel(), settings.stream(), settings.group(), settings.consumer());
        ensureGroup().onComplete(ar -> pump());
        probeTimer = vertx.setPeriodic(settings.metricsIntervalMs(), id -> probe());
    }

    private Future<Void> ensureGroup() {
        Request create = Request.cmd(Command.XGROUP)
                .arg("CREATE")
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.startFrom())
                .arg("MKSTREAM");
        return redis.send(create).transform(ar -> {
            if (ar.succeeded() || String.valueOf(ar.cause().getMessage()).startsWith("BUSYGROUP")) {
                groupReady = true;
                redisReachable = true;
                return Future.succeededFuture();
            }
            recordFailure("cannot create consumer group", ar.cause());
            return Future.failedFuture(ar.cause());
        });
    }

    /** Starts the next read unless one is outstanding, the channel is stopping, or no capacity is free. */
    private void pump() {
        while (!stopping) {
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
        Future<List<Delivery>> next;
        if (!groupReady) {
            next = ensureGroup().map(ignored -> List.of());
        } else if (!ownBacklogDrained) {
            next = readOwnBacklog(count);
        } else if (System.currentTimeMillis() >= nextReclaimAt) {
            next = reclaim(count);
        } else {
            next = readNew(count);
        }
        next.onComplete(ar -> {
            if (ar.succeeded()) {
                if (!redisReachable || failureBackoffMs > 0) {
                    LOG.infof("Channel %s is reading %s again", settings.channel(), settings.stream());
                }
                redisReachable = true;
                failureBackoffMs = 0;
                deliverAll(ar.result());
                reading.set(false);
                pump();
            } else {
                reading.set(false);
                onReadFailure(ar.cause());
            }
        });
    }

    private void onReadFailure(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        if (message.startsWith("NOGROUP")) {
            // The stream or group vanished (Redis restarted without persistence, or someone deleted it).
            groupReady = false;
        } else {
            redisReachable = false;
        }
        recordFailure("read failed", failure);
        failureBackoffMs = failureBackoffMs == 0 ? 100 : Math.min(MAX_BACKOFF_MS, failureBackoffMs * 2);
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
            entries.removeIf(entry -> inFlightIds.contains(entry.id()));
            if (entries.isEmpty()) {
                ownBacklogDrained = true;
                return Future.succeededFuture(List.of());
            }
            backlogCursor = entries.get(entries.size() - 1).id();
            LOG.infof(
                    "Channel %s resumes %d entries left pending by an earlier run of consumer %s",
                    settings.channel(), entries.size(), settings.consumer());
            return withDeliveryCounts(entries);
        });
    }

    private Future<List<Delivery>> reclaim(int count) {
        Request claim = Request.cmd(Command.XAUTOCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(settings.reclaimIdleMs())
                .arg(reclaimCursor)
                .arg("COUNT")
                .arg(count);
        return redis.send(claim).compose(reply -> {
            RedisReplies.AutoClaim result = RedisReplies.autoClaim(reply);
            reclaimCursor = result.nextCursor();
            if ("0-0".equals(reclaimCursor)) {
                nextReclaimAt = System.currentTimeMillis() + settings.reclaimIntervalMs();
            }
            List<StreamEntry> entries = new ArrayList<>(result.entries());
            entries.removeIf(entry -> inFlightIds.contains(entry.id()));
            if (entries.isEmpty()) {
                return Future.succeededFuture(List.of());
            }
            metrics.reclaimed.increment(entries.size());
            LOG.warnf(
                    "Channel %s reclaimed %d entries of %s idle for over %d ms in other consumers' pending lists",
                    settings.channel(), entries.size(), settings.stream(), settings.reclaimIdleMs());
            return withDeliveryCounts(entries);
        });
    }

    /** Redis counts deliveries per entry, across consumers and restarts; that count is the attempt number. */
    private Future<List<Delivery>> withDeliveryCounts(List<StreamEntry> entries) {
        Request pending = Request.cmd(Command.XPENDING)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(entries.get(0).id())
                .arg(entries.get(entries.size() - 1).id())
                .arg(entries.size() * 2L)
                .arg(settings.consumer());
        return redis.send(pending).map(reply -> {
            Map<String, Integer> counts = RedisReplies.deliveryCounts(reply);
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
            LOG.warnf(
                    "Entry %s of %s was trimmed (MAXLEN) before it was acknowledged; acknowledging the gap",
                    entry.id(), settings.stream());
            acks.add(entry.id());
            flushAcks();
            return;
        }
        inFlight.incrementAndGet();
        inFlightIds.add(entry.id());
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
        MultiEmitter<? super Message<?>> target = emitter;
        synchronized (emitLock) {
            target.emit(message);
        }
    }

    /**
     * The handler is done: the entry's XACK is queued and sent with the next batch. A crash before that XACK
     * leaves the entry pending, so it is redelivered (at-least-once), never lost.
     */
    private void onAck(String id) {
        metrics.processed.increment();
        acks.add(id);
        flushAcks();
        settle(id);
    }

    private void onNack(Delivery delivery, Object payload, Throwable failure) {
        metrics.failed.increment();
        String reason = describe(failure);
        if (failure instanceof MalformedEventException) {
            deadLetter(delivery, "rejected by the handler: " + reason);
        } else if (delivery.attempt() >= settings.maxAttempts()) {
            deadLetter(delivery, "handler failed " + delivery.attempt() + " times, last: " + reason);
        } else {
            long delay = Math.min(30_000, settings.retryBackoffMs() << Math.min(10, delivery.attempt() - 1));
            LOG.warnf(
                    "Handler of channel %s failed on entry %s (attempt %d of %d), retrying in %d ms: %s",
                    settings.channel(),
                    delivery.entry().id(),
                    delivery.attempt(),
                    settings.maxAttempts(),
                    delay,
                    reason);
            vertx.setTimer(Math.max(1, delay), timer -> retry(delivery, payload));
        }
    }

    /** Counts the redelivery in Redis first, so the attempt number survives a crash during the retry. */
    private void retry(Delivery delivery, Object payload) {
        String id = delivery.entry().id();
        if (stopping) {
            release(List.of(id));
            settle(id);
            return;
        }
        int attempt = delivery.attempt() + 1;
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
            } else {
                emit(new Delivery(delivery.entry(), attempt), payload);
            }
        });
    }

    private void deadLetter(Delivery delivery, String reason) {
        StreamEntry entry = delivery.entry();
        Request add = Request.cmd(Command.XADD)
                .arg(settings.deadLetterStream())
                .arg("MAXLEN")
                .arg("~")
                .arg(settings.deadLetterMaxLen())
                .arg("*");
        Map<String, String> fields = new HashMap<>(entry.fields() == null ? Map.of() : entry.fields());
        fields.put(EntryFields.DLQ_REASON, reason);
        fields.put(EntryFields.DLQ_ORIGINAL_ID, entry.id());
        fields.put(EntryFields.DLQ_STREAM, settings.stream());
        fields.put(EntryFields.DLQ_GROUP, settings.group());
        fields.put(EntryFields.DLQ_CONSUMER, settings.consumer());
        fields.put(EntryFields.DLQ_ATTEMPTS, Integer.toString(delivery.attempt()));
        fields.put(EntryFields.DLQ_TIME, Instant.now().toString());
        fields.forEach((name, value) -> add.arg(name).arg(value == null ? "" : value));
        Request ack = Request.cmd(Command.XACK)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(entry.id());
        // MULTI/EXEC so an entry is never both dead-lettered and left pending (which would dead-letter it twice).
        redis.batch(List.of(Request.cmd(Command.MULTI), add, ack, Request.cmd(Command.EXEC)))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        metrics.deadLettered.increment();
                        LOG.warnf(
                                "Moved entry %s of %s to %s after %d attempt(s): %s",
                                entry.id(), settings.stream(), settings.deadLetterStream(), delivery.attempt(), reason);
                    } else {
                        recordFailure("could not dead-letter entry " + entry.id() + "; it stays pending", ar.cause());
                    }
                    settle(entry.id());
                });
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
                flushAcks();
            }
        });
    }

    private void settle(String id) {
        if (inFlightIds.remove(id)) {
            inFlight.decrementAndGet();
        }
        pump();
    }

    /** Makes entries this consumer holds immediately claimable by peers (their idle time jumps past the limit). */
    private void release(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        Request claim = Request.cmd(Command.XCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(0);
        ids.forEach(claim::arg);
        claim.arg("IDLE").arg(settings.reclaimIdleMs()).arg("JUSTID");
        redis.send(claim).onComplete(ar -> {
            if (ar.failed()) {
                LOG.debugf("Could not release %d entries early; peers reclaim them after the idle timeout", ids.size());
            }
        });
    }

    /**
     * Refreshes the gauges and keeps long-running handlers' entries from looking abandoned: their idle time is
     * reset well before peers would reclaim them.
     */
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
                } else {
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
                    RedisReplies.longOrZero(group.get("lag")),
                    RedisReplies.longOrZero(group.get("pending")),
                    oldestAgeMs,
                    replies.get(3).toLong());
        });
        heartbeatInFlight();
    }

    private void heartbeatInFlight() {
        if (inFlightIds.isEmpty()) {
            return;
        }
        Request claim = Request.cmd(Command.XCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.consumer())
                .arg(0);
        inFlightIds.forEach(claim::arg);
        claim.arg("JUSTID");
        redis.send(claim);
    }

    /**
     * Stops reading, gives in-flight handlers until the shutdown timeout to finish, flushes acknowledgements, and
     * releases whatever is still unfinished to peers. Nothing is acknowledged that was not handled.
     */
    CompletionStage<Void> stop() {
        if (stopping) {
            return CompletableFuture.completedFuture(null);
        }
        stopping = true;
        if (probeTimer >= 0) {
            vertx.cancelTimer(probeTimer);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.currentTimeMillis() + settings.shutdownTimeoutMs();
        awaitDrained(deadline, done);
        return done.whenComplete((ignored, failure) -> {
            MultiEmitter<? super Message<?>> target = emitter;
            if (target != null) {
                synchronized (emitLock) {
                    target.complete();
                }
            }
        });
    }

    private void awaitDrained(long deadline, CompletableFuture<Void> done) {
        boolean handlersDone = inFlight.get() == 0 && !reading.get();
        boolean acksDone = acks.isEmpty() && !acking.get();
        if ((handlersDone && acksDone) || System.currentTimeMillis() >= deadline) {
            List<String> unfinished = List.copyOf(inFlightIds);
            if (!unfinished.isEmpty()) {
                LOG.warnf(
                        "Channel %s stopped with %d entries unfinished; they stay pending and peers reclaim them",
                        settings.channel(), unfinished.size());
                release(unfinished);
            }
            LOG.infof("Channel %s stopped", settings.channel());
            done.complete(null);
            return;
        }
        if (!acks.isEmpty()) {
            flushAcks();
        }
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
