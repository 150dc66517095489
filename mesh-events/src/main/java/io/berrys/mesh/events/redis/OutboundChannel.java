package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Streams;
import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.OutgoingMessageMetadata;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
            Map<String, String> fields = settings.payloadFormat().encode(message.getPayload());
            if (!EventSchema.fitsIn(fields, settings.maxEntryBytes())) {
                throw new IllegalArgumentException("entry for " + stream + " is " + EventSchema.entrySize(fields)
                        + " bytes, over the limit of " + settings.maxEntryBytes() + " bytes");
            }
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
        var override = message.getMetadata(OutgoingRedisStreamsMetadata.class)
                .map(OutgoingRedisStreamsMetadata::stream)
                .filter(stream -> stream != null && !stream.isBlank());
        if (override.isPresent()) {
            return override.get();
        }
        if (settings.routeByType() && message.getPayload() instanceof CloudEvent event) {
            return Streams.forType(event.getType());
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

    private void write(List<Pending> batch, long firstAttemptAt) {
        List<Request> requests = new ArrayList<>(batch.size());
        for (Pending pending : batch) {
            requests.add(pending.request());
        }
        var reply = batch.size() == 1 ? redis.send(requests.get(0)).map(List::of) : redis.batch(requests);
        reply.onComplete(ar -> {
            if (ar.succeeded()) {
                redisReachable = true;
                complete(batch, ar.result());
                writing.set(false);
                drain(System.currentTimeMillis());
            } else if (System.currentTimeMillis() - firstAttemptAt < settings.retryTimeoutMs()) {
                redisReachable = false;
                recordFailure(ar.cause());
                // Same batch again, so order is kept; the writing flag stays set meanwhile.
                vertx.setTimer(200, id -> write(batch, firstAttemptAt));
            } else {
                recordFailure(ar.cause());
                for (Pending pending : batch) {
                    pending.message().nack(ar.cause());
                }
                subscription.request(batch.size());
                writing.set(false);
                drain(System.currentTimeMillis());
            }
        });
    }

    private void complete(List<Pending> batch, List<Response> replies) {
        for (int i = 0; i < batch.size(); i++) {
            Pending pending = batch.get(i);
            String entryId = replies.get(i).toString();
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
        subscription.request(batch.size());
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
