package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.Streams;
import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.OutgoingMessageMetadata;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import io.vertx.redis.client.impl.types.ErrorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Writes messages with XADD (approximate MAXLEN trimming). One pipelined batch is in flight at a time, holding
 * every message that arrived while the previous batch was on the wire: a lone message goes out at once, a burst
 * goes out in few round trips, and the order of writes is the order of messages. A message is acked once Redis has
 * its entry (the entry id goes to {@link OutgoingMessageMetadata}); failed writes are retried until the retry
 * timeout, then nacked.
 */
final class OutboundChannel implements Flow.Subscriber<Message<?>> {

    private static final Logger LOG = Logger.getLogger(OutboundChannel.class);

    private final Redis redis;
    private final Vertx vertx;
    private final OutboundSettings settings;
    private final MeterRegistry registry;
    private final Map<String, Counter> writtenByStream = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();

    private volatile Flow.Subscription subscription;
    private volatile boolean redisReachable = true;
    private volatile String lastError = "";

    OutboundChannel(Redis redis, Vertx vertx, OutboundSettings settings, MeterRegistry registry) {
        this.redis = redis;
        this.vertx = vertx;
        this.settings = settings;
        this.registry = registry;
    }

    OutboundSettings settings() {
        return settings;
    }

    boolean ready() {
        return redisReachable;
    }

    String status() {
        return redisReachable ? "writing " + settings.stream() : lastError;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(settings.maxPendingWrites());
    }

    @Override
    public void onNext(Message<?> message) {
        Request xadd;
        String stream;
        try {
            stream = targetStream(message);
            Map<String, String> fields =
                    settings.payloadFormat().encode(message.getPayload(), settings.maxEntryBytes());
            long maxLen = message.getMetadata(OutgoingRedisStreamsMetadata.class)
                    .map(OutgoingRedisStreamsMetadata::maxLen)
                    .orElse(settings.maxLen());
            xadd = Request.cmd(Command.XADD).arg(stream);
            if (maxLen > 0) {
                xadd.arg("MAXLEN").arg("~").arg(maxLen);
            }
            xadd.arg("*");
            fields.forEach((name, value) -> xadd.arg(name).arg(value));
        } catch (RuntimeException e) {
            LOG.warnf("Channel %s refused a message: %s", settings.channel(), e.getMessage());
            message.nack(e);
            subscription.request(1);
            return;
        }
        queue.add(new Pending(message, xadd, stream));
        drain(System.currentTimeMillis());
    }

    private String targetStream(Message<?> message) {
        if (message.getMetadata(OutgoingRedisStreamsMetadata.class)
                .map(OutgoingRedisStreamsMetadata::request)
                .orElse(false)) {
            return settings.streamPrefix() + Streams.COMMANDS;
        }
        var override = message.getMetadata(OutgoingRedisStreamsMetadata.class)
                .map(OutgoingRedisStreamsMetadata::stream)
                .filter(stream -> stream != null && !stream.isBlank());
        if (override.isPresent()) {
            return override.get();
        }
        if (settings.routeByType() && message.getPayload() instanceof CloudEvent event) {
            return settings.streamPrefix() + Streams.forType(event.getType());
        }
        return settings.stream();
    }

    private void drain(long firstAttemptAt) {
        if (!writing.compareAndSet(false, true)) {
            return;
        }
        List<Pending> batch = new ArrayList<>();
        Pending next;
        while (batch.size() < settings.maxBatch() && (next = queue.poll()) != null) {
            batch.add(next);
        }
        if (batch.isEmpty()) {
            writing.set(false);
            if (!queue.isEmpty()) {
                drain(System.currentTimeMillis());
            }
            return;
        }
        write(batch, firstAttemptAt);
    }

    /**
     * A batch goes out as one MULTI/EXEC transaction: Redis then reports each XADD's outcome on its own (an entry
     * id, or the error of a refused one), and a batch it rejects as a whole has applied nothing, so sending its
     * entries again one by one cannot write any of them twice.
     */
    private void write(List<Pending> batch, long firstAttemptAt) {
        Future<List<Response>> reply;
        if (batch.size() == 1) {
            reply = redis.send(batch.get(0).request()).map(List::of);
        } else {
            List<Request> requests = new ArrayList<>(batch.size() + 2);
            requests.add(Request.cmd(Command.MULTI));
            for (Pending pending : batch) {
                requests.add(pending.request());
            }
            requests.add(Request.cmd(Command.EXEC));
            reply = redis.batch(requests).map(replies -> {
                List<Response> results = new ArrayList<>(batch.size());
                replies.get(replies.size() - 1).forEach(results::add);
                return results;
            });
        }
        reply.onComplete(ar -> {
            if (ar.succeeded()) {
                redisReachable = true;
                finish(batch, () -> {
                    for (int i = 0; i < batch.size(); i++) {
                        Response result = ar.result().get(i);
                        if (result != null && result.type() == ResponseType.ERROR) {
                            refused(batch.get(i), new IllegalStateException(result.toString()));
                        } else {
                            written(batch.get(i), String.valueOf(result));
                        }
                    }
                });
            } else if (ar.cause() instanceof ErrorType && batch.size() > 1) {
                writeOneByOne(batch, 0, firstAttemptAt);
            } else if (ar.cause() instanceof ErrorType && !isTransient(ar.cause())) {
                finish(batch, () -> refused(batch.get(0), ar.cause()));
            } else if (System.currentTimeMillis() - firstAttemptAt < settings.retryTimeoutMs()) {
                redisReachable = false;
                recordFailure(ar.cause());
                // Same batch again, so order is kept; the writing flag stays set meanwhile.
                vertx.setTimer(200, id -> write(batch, firstAttemptAt));
            } else {
                recordFailure(ar.cause());
                finish(batch, () -> batch.forEach(pending -> pending.message().nack(ar.cause())));
            }
        });
    }

    /** After Redis rejected a whole transaction (nothing applied): each entry on its own, in order. */
    private void writeOneByOne(List<Pending> batch, int index, long firstAttemptAt) {
        if (index == batch.size()) {
            finish(batch, () -> {});
            return;
        }
        Pending pending = batch.get(index);
        redis.send(pending.request()).onComplete(ar -> {
            if (ar.succeeded()) {
                written(pending, ar.result().toString());
                writeOneByOne(batch, index + 1, firstAttemptAt);
            } else if ((ar.cause() instanceof ErrorType && !isTransient(ar.cause()))
                    || System.currentTimeMillis() - firstAttemptAt >= settings.retryTimeoutMs()) {
                refused(pending, ar.cause());
                writeOneByOne(batch, index + 1, firstAttemptAt);
            } else {
                recordFailure(ar.cause());
                vertx.setTimer(200, id -> writeOneByOne(batch, index, firstAttemptAt));
            }
        });
    }

    /** Redis is loading, out of memory or busy: worth waiting for, unlike WRONGTYPE or a syntax error. */
    private static boolean isTransient(Throwable error) {
        String message = String.valueOf(error.getMessage());
        return message.startsWith("LOADING")
                || message.startsWith("OOM")
                || message.startsWith("BUSY")
                || message.startsWith("TRYAGAIN")
                || message.startsWith("MASTERDOWN")
                || message.startsWith("READONLY");
    }

    private void written(Pending pending, String entryId) {
        writtenByStream
                .computeIfAbsent(
                        pending.stream(),
                        stream -> Counter.builder("mesh.stream.written")
                                .description("Entries written by this service")
                                .tag("stream", stream)
                                .register(registry))
                .increment();
        OutgoingMessageMetadata.setResultOnMessage(pending.message(), entryId);
        pending.message().ack();
    }

    private void refused(Pending pending, Throwable error) {
        LOG.warnf("Channel %s could not write to %s: %s", settings.channel(), pending.stream(), error.getMessage());
        pending.message().nack(error);
    }

    /** Settles a batch and moves on to the next, whatever settling the messages throws. */
    private void finish(List<Pending> batch, Runnable settle) {
        try {
            settle.run();
        } catch (RuntimeException e) {
            LOG.errorf(e, "Channel %s: settling written messages failed", settings.channel());
        } finally {
            subscription.request(batch.size());
            writing.set(false);
            drain(System.currentTimeMillis());
        }
    }

    /** Waits, up to {@code timeoutMs}, until every message handed to this channel is written or refused. */
    CompletionStage<Void> stop(long timeoutMs) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        awaitFlushed(System.currentTimeMillis() + timeoutMs, done);
        return done;
    }

    private void awaitFlushed(long deadline, CompletableFuture<Void> done) {
        if ((queue.isEmpty() && !writing.get()) || System.currentTimeMillis() >= deadline) {
            if (!queue.isEmpty() || writing.get()) {
                LOG.warnf("Channel %s stopped with writes outstanding", settings.channel());
            }
            done.complete(null);
            return;
        }
        vertx.setTimer(20, id -> awaitFlushed(deadline, done));
    }

    private void recordFailure(Throwable failure) {
        String message = "write to " + settings.stream() + " failed: " + failure.getMessage();
        if (!message.equals(lastError)) {
            LOG.warnf(
                    "Channel %s: %s (retrying for up to %d ms)",
                    settings.channel(), message, settings.retryTimeoutMs());
        }
        lastError = message;
    }

    @Override
    public void onError(Throwable failure) {
        LOG.errorf(failure, "Upstream of channel %s failed", settings.channel());
    }

    @Override
    public void onComplete() {
        drain(System.currentTimeMillis());
    }

    private record Pending(Message<?> message, Request request, String stream) {}
}
