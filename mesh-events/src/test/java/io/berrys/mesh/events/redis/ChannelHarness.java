package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Builds channels straight on a Vert.x Redis client, so a test can crash or stop one like a process would. */
final class ChannelHarness implements AutoCloseable {

    final Vertx vertx = Vertx.vertx();
    final Redis redis;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    ChannelHarness(RedisOptions account) {
        // Handlers fire many commands at once (idempotency keys, acks); the default wait queue of 24 is too small.
        redis = Redis.createClient(
                vertx, new RedisOptions(account).setMaxPoolSize(16).setMaxPoolWaiting(4096));
    }

    static OutboundSettings outbound(String stream) {
        return new OutboundSettings(
                "test-out", stream, 100_000, 512, 4096, PayloadFormat.CLOUDEVENT, false, "", 262_144, 30_000);
    }

    InboundChannel inboundChannel(InboundSettings settings) {
        return new InboundChannel(
                redis, vertx, settings, new StreamMetrics(registry, settings.stream(), settings.group()));
    }

    OutboundChannel outboundChannel(OutboundSettings settings) {
        return new OutboundChannel(redis, vertx, settings, registry);
    }

    static String uniqueStream(String name) {
        return "it.plain." + name + "." + UUID.randomUUID();
    }

    static CloudEvent event(int sequence) {
        return Events.of(
                        Task.ROLLOUT.type(Phase.PROGRESSED),
                        Services.ROLLOUT,
                        new TaskProgressed("rollout", "step-" + sequence, null, "sequence " + sequence))
                .releaseId("rel-test")
                .triggeredId("trig-test")
                .subject(Integer.toString(sequence))
                .build();
    }

    List<String> append(String stream, int count) {
        List<Request> adds = new ArrayList<>();
        List<String> eventIds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            CloudEvent event = event(i);
            eventIds.add(event.getId());
            Request add = Request.cmd(Command.XADD).arg(stream).arg("*");
            for (Map.Entry<String, String> field : EventCodec.toFields(event).entrySet()) {
                add.arg(field.getKey()).arg(field.getValue());
            }
            adds.add(add);
        }
        await(redis.batch(adds));
        return eventIds;
    }

    Response send(Request request) {
        return await(redis.send(request));
    }

    long pending(String stream, String group) {
        return send(Request.cmd(Command.XPENDING).arg(stream).arg(group)).get(0).toLong();
    }

    long length(String stream) {
        return send(Request.cmd(Command.XLEN).arg(stream)).toLong();
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Redis command failed: " + e.getMessage(), e);
        }
    }

    /** Closing Vert.x drops connections and timers at once: the nearest thing to kill -9 inside one JVM. */
    @Override
    public void close() {
        redis.close();
        await(vertx.close());
    }
}
