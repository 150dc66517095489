package io.berrys.mesh.events.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.idempotency.IdempotencyGuard;
import io.berrys.mesh.events.testing.LocalServers;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Crash, shutdown and backpressure behaviour of the incoming side, against the local Redis. */
class InboundChannelIT {

    private io.vertx.redis.client.RedisOptions account;
    private ChannelHarness harness;

    @BeforeEach
    void connect() {
        account = LocalServers.redisOptions();
        harness = new ChannelHarness(account);
    }

    @AfterEach
    void close() {
        harness.close();
    }

    @Test
    void consumerThatDiesMidBatchIsReclaimedAndSideEffectsHappenOnce() {
        String stream = ChannelHarness.uniqueStream("reclaim");
        String group = "it-group";
        List<String> eventIds = harness.append(stream, 100);
        Map<String, AtomicInteger> sideEffects = new ConcurrentHashMap<>();

        // Consumer A lives in its own Vert.x, so closing that Vert.x is a crash: no release, no acks.
        ChannelHarness processA = new ChannelHarness(account);
        IdempotencyGuard guardA = new IdempotencyGuard(processA.redis, Duration.ofHours(1), Duration.ofSeconds(2));
        InboundSettings settingsA =
                TestSettings.incoming(stream, "a").maxInFlight(20).build();
        AtomicInteger receivedByA = new AtomicInteger();
        processA.inboundChannel(settingsA).messages().subscribe().with(message -> {
            int seen = receivedByA.incrementAndGet();
            if (seen <= 20) {
                // The first 20 get their side effect; only the first 10 are acknowledged before the "crash".
                sideEffect(guardA, group, message, sideEffects).subscribe().with(ran -> {
                    if (seen <= 10) {
                        message.ack();
                    }
                });
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> receivedByA.get() >= 30);
        processA.close();
        long leftPending = harness.pending(stream, group);
        assertTrue(leftPending >= 20, "the crashed consumer should leave its unacknowledged entries pending");

        IdempotencyGuard guardB = new IdempotencyGuard(harness.redis, Duration.ofHours(1), Duration.ofSeconds(2));
        InboundSettings settingsB =
                TestSettings.incoming(stream, "b").reclaimIdleMs(500).build();
        Set<Integer> attempts = ConcurrentHashMap.newKeySet();
        harness.inboundChannel(settingsB).messages().subscribe().with(message -> {
            attempts.add(message.getMetadata(IncomingRedisStreamsMetadata.class)
                    .orElseThrow()
                    .attempt());
            sideEffect(guardB, group, message, sideEffects).subscribe().with(ran -> message.ack(), message::nack);
        });

        await().atMost(Duration.ofSeconds(20))
                .until(() -> sideEffects.size() == 100 && harness.pending(stream, group) == 0);
        for (String eventId : eventIds) {
            assertEquals(1, sideEffects.get(eventId).get(), "side effect of " + eventId + " ran more than once");
        }
        assertTrue(attempts.contains(2), "reclaimed entries carry their delivery count as the attempt");
        assertTrue(harness.registry.get("mesh.stream.reclaimed").counter().count() >= 20);
    }

    @Test
    void shutdownWithWorkInFlightLosesNothing() {
        String stream = ChannelHarness.uniqueStream("shutdown");
        String group = "it-group";
        List<String> eventIds = harness.append(stream, 60);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        List<Message<?>> held = new CopyOnWriteArrayList<>();

        InboundSettings settingsA =
                TestSettings.incoming(stream, "a").shutdownTimeoutMs(300).build();
        InboundChannel channelA = harness.inboundChannel(settingsA);
        channelA.messages().subscribe().with(held::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 60);

        // Half the handlers finish during the shutdown grace period; the other half never do.
        var stopping = channelA.stop().toCompletableFuture();
        for (int i = 0; i < 30; i++) {
            Message<?> message = held.get(i);
            handled.add(((CloudEvent) message.getPayload()).getId());
            message.ack();
        }
        await().atMost(Duration.ofSeconds(5)).until(stopping::isDone);

        InboundSettings settingsB =
                TestSettings.incoming(stream, "b").reclaimIdleMs(1_000).build();
        harness.inboundChannel(settingsB).messages().subscribe().with(message -> {
            handled.add(((CloudEvent) message.getPayload()).getId());
            message.ack();
        });
        await().atMost(Duration.ofSeconds(10))
                .until(() -> handled.containsAll(eventIds) && harness.pending(stream, group) == 0);
        assertEquals(Set.copyOf(eventIds), Set.copyOf(handled));
    }

    @Test
    void readingPausesAtTheInFlightBound() throws InterruptedException {
        String stream = ChannelHarness.uniqueStream("backpressure");
        harness.append(stream, 100);
        List<Message<?>> held = new CopyOnWriteArrayList<>();
        AtomicInteger unacked = new AtomicInteger();
        AtomicInteger maxUnacked = new AtomicInteger();
        InboundChannel channel = harness.inboundChannel(
                TestSettings.incoming(stream, "a").maxInFlight(8).build());
        channel.messages().subscribe().with(message -> {
            maxUnacked.accumulateAndGet(unacked.incrementAndGet(), Math::max);
            held.add(message);
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 8);
        TimeUnit.MILLISECONDS.sleep(500);
        assertEquals(8, held.size(), "no entry beyond max-in-flight may be delivered before an ack");

        AtomicInteger acked = new AtomicInteger();
        Thread acker = new Thread(() -> {
            while (acked.get() < 100) {
                for (Message<?> message : held) {
                    if (held.remove(message)) {
                        unacked.decrementAndGet();
                        message.ack();
                        acked.incrementAndGet();
                    }
                }
                Thread.onSpinWait();
            }
        });
        acker.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> acked.get() == 100);
        acker.join(1_000);
        assertTrue(maxUnacked.get() <= 8, "in flight peaked at " + maxUnacked.get());
    }

    private static Uni<Boolean> sideEffect(
            IdempotencyGuard guard, String group, Message<?> message, Map<String, AtomicInteger> sideEffects) {
        String eventId = ((CloudEvent) message.getPayload()).getId();
        return guard.runOnce(
                group,
                eventId,
                () -> Uni.createFrom()
                        .item(() -> sideEffects
                                .computeIfAbsent(eventId, id -> new AtomicInteger())
                                .incrementAndGet()));
    }

    @Test
    void aMalformedCommandIsDeadLetteredAndAnsweredAsFailedSoItsReleaseNeedNotTimeOut() {
        String stream = ChannelHarness.uniqueStream("commands");
        String answers = stream + ".answers";
        Map<String, String> command = new java.util.HashMap<>(EventCodec.toFields(Events.of(
                        Task.ROLLOUT.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new RolloutTriggered("staging", "planner", "1.2.0", "registry.local/planner:1.2.0", List.of()))
                .releaseId("rel-42")
                .build()));
        command.put(EntryFields.DATA, "{\"environment\":\"staging\",\"service\":\"planner\",\"version\":\"1.2.0\"}");
        Request add = Request.cmd(Command.XADD).arg(stream).arg("*");
        command.forEach((name, value) -> add.arg(name).arg(value));
        harness.send(add);
        List<Message<?>> handled = new java.util.concurrent.CopyOnWriteArrayList<>();
        harness.inboundChannel(TestSettings.incoming(stream, "a")
                        .rejectionReplyStream(answers)
                        .build())
                .messages()
                .subscribe()
                .with(handled::add);

        await().atMost(Duration.ofSeconds(10)).until(() -> harness.length(answers) == 1);
        Response entries =
                harness.send(Request.cmd(Command.XRANGE).arg(answers).arg("-").arg("+"));
        Map<String, String> fields = new java.util.HashMap<>();
        Response pairs = entries.get(0).get(1);
        for (int i = 0; i < pairs.size(); i += 2) {
            fields.put(pairs.get(i).toString(), pairs.get(i + 1).toString());
        }
        CloudEvent answer = EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES);
        TaskFinished finished = Events.payload(answer, TaskFinished.class);
        assertEquals("mesh.rollout.finished", answer.getType());
        assertEquals(command.get(EntryFields.ID), Events.triggeredId(answer));
        assertEquals("rel-42", Events.releaseId(answer));
        assertEquals(Result.FAIL, finished.result());
        assertTrue(
                finished.message().contains("rejected by it-group")
                        && finished.message().contains("'image' is required"),
                finished.message());
        assertEquals(1, harness.length(stream + ".dlq"));
        assertTrue(handled.isEmpty(), "a malformed command never reaches the handler");
        await().atMost(Duration.ofSeconds(5)).until(() -> harness.pending(stream, "it-group") == 0);
    }

    @Test
    void retryLaterDoesNotUseUpAttempts() {
        String stream = ChannelHarness.uniqueStream("later");
        List<String> eventIds = harness.append(stream, 1);
        AtomicInteger deliveries = new AtomicInteger();
        Set<Integer> attempts = ConcurrentHashMap.newKeySet();
        harness.inboundChannel(TestSettings.incoming(stream, "a").build())
                .messages()
                .subscribe()
                .with(message -> {
                    attempts.add(message.getMetadata(IncomingRedisStreamsMetadata.class)
                            .orElseThrow()
                            .attempt());
                    if (deliveries.incrementAndGet() < 8) {
                        message.nack(new RetryLaterException("dependency busy", 20));
                    } else {
                        message.ack();
                    }
                });
        await().atMost(Duration.ofSeconds(10))
                .until(() -> deliveries.get() == 8 && harness.pending(stream, "it-group") == 0);
        assertEquals(Set.of(1), attempts, "waiting is not failing: every delivery stays attempt 1");
        assertEquals(0, harness.length(stream + ".dlq"), eventIds + " must not be dead-lettered");
    }
}
