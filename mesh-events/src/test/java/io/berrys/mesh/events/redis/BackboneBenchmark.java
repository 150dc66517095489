package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/**
 * Figures for {@code bench/backbone.sh}: connector throughput (Emitter → Redis → @Incoming → XACK), the naive
 * one-entry-at-a-time loop on the same client library, and produce-to-consume latency at a steady rate. Every figure
 * comes with the number of samples behind it. Not part of the test suite (its name matches neither *Test nor *IT); it
 * prints key=value lines and asserts nothing.
 */
@QuarkusTest
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it."),
        restrictToAnnotatedClass = false)
class BackboneBenchmark {

    private static final int THROUGHPUT_EVENTS = Integer.getInteger("bench.events", 200_000);
    private static final int NAIVE_EVENTS = Integer.getInteger("bench.naive.events", 20_000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int LATENCY_RATE = Integer.getInteger("bench.rate", 10_000);
    private static final int LATENCY_SECONDS = Integer.getInteger("bench.seconds", 10);
    /** Latency events carry their place in the schedule in their id, so the receiver knows when each was due. */
    private static final String LATENCY_ID_PREFIX = "latency-";

    @Inject
    BenchChannels bench;

    @Inject
    Redis redis;

    @Test
    void measure() throws Exception {
        CloudEvent sample = ChannelHarness.event(123_456);
        print("entry_bytes", EventSchema.entrySize(EventCodec.toFields(sample)));

        runConnector(50_000); // warm-up: JIT, connections
        double[] rounds = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            rounds[round] = runConnector(THROUGHPUT_EVENTS);
        }
        Arrays.sort(rounds);
        double connector = rounds[ROUNDS / 2];
        print("connector_events", THROUGHPUT_EVENTS);
        print("connector_rounds", ROUNDS);
        print("connector_events_per_s", Math.round(connector));
        print("connector_events_per_s_best", Math.round(rounds[ROUNDS - 1]));

        double naive = runNaive(NAIVE_EVENTS);
        print("naive_events", NAIVE_EVENTS);
        print("naive_events_per_s", Math.round(naive));
        print("connector_vs_naive", String.format("%.1f", connector / naive));

        runLatency();
    }

    /**
     * Events per second from the first send to the last XACK: the handler seeing the last message is not the end, its
     * acknowledgement still has to reach Redis, and until it does the entry would be delivered again after a crash.
     */
    private double runConnector(int events) throws Exception {
        AtomicInteger consumed = new AtomicInteger();
        CompletableFuture<IncomingRedisStreamsMetadata> lastConsumed = new CompletableFuture<>();
        bench.sink(message -> {
            if (consumed.incrementAndGet() == events) {
                lastConsumed.complete(
                        message.getMetadata(IncomingRedisStreamsMetadata.class).orElseThrow());
            }
        });
        Semaphore window = new Semaphore(8_192);
        long start = System.nanoTime();
        for (int i = 0; i < events; i++) {
            window.acquire();
            bench.out()
                    .send(Message.of(ChannelHarness.event(i))
                            .withAck(() -> {
                                window.release();
                                return CompletableFuture.completedFuture(null);
                            })
                            .withNack(failure -> {
                                window.release();
                                return CompletableFuture.completedFuture(null);
                            }));
        }
        IncomingRedisStreamsMetadata last = lastConsumed.get(5, TimeUnit.MINUTES);
        long acknowledged = awaitNothingPending(last.stream(), last.group());
        return events / ((acknowledged - start) / 1e9);
    }

    /**
     * Asks XPENDING until the group holds nothing unacknowledged, and returns when the answer saying so arrived.
     * Every entry has been delivered by now, so an empty pending list means the last XACK is done; the time is at most
     * one round trip late, never early. Each run waits here, so no run leaves entries pending for the next.
     */
    private long awaitNothingPending(String stream, String group) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            Response summary = ChannelHarness.await(
                    redis.send(Request.cmd(Command.XPENDING).arg(stream).arg(group)));
            long answeredAt = System.nanoTime();
            if (summary.get(0).toLong() == 0) {
                return answeredAt;
            }
            if (answeredAt > deadline) {
                throw new IllegalStateException("entries of " + stream + " still pending a minute after delivery");
            }
        }
    }

    /** XREADGROUP COUNT 1, decode, XACK: one round trip per step, as a hand-written consumer would do it. */
    private double runNaive(int events) {
        String stream = "it.bench.naive";
        String group = "naive";
        List<Request> adds = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            Request add = Request.cmd(Command.XADD).arg(stream).arg("*");
            EventCodec.toFields(ChannelHarness.event(i))
                    .forEach((name, value) -> add.arg(name).arg(value));
            adds.add(add);
            if (adds.size() == 1_000) {
                ChannelHarness.await(redis.batch(adds));
                adds = new ArrayList<>();
            }
        }
        if (!adds.isEmpty()) {
            ChannelHarness.await(redis.batch(adds));
        }
        ChannelHarness.await(redis.send(
                Request.cmd(Command.XGROUP).arg("CREATE").arg(stream).arg(group).arg("0")));
        long start = System.nanoTime();
        int handled = 0;
        while (handled < events) {
            Response reply = ChannelHarness.await(redis.send(Request.cmd(Command.XREADGROUP)
                    .arg("GROUP")
                    .arg(group)
                    .arg("naive-1")
                    .arg("COUNT")
                    .arg(1)
                    .arg("STREAMS")
                    .arg(stream)
                    .arg(">")));
            for (StreamEntry entry : RedisReplies.readGroupEntries(reply)) {
                Map<String, String> fields = entry.fields();
                EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES);
                ChannelHarness.await(redis.send(
                        Request.cmd(Command.XACK).arg(stream).arg(group).arg(entry.id())));
                handled++;
            }
        }
        return handled / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Latency at a steady rate, from each event's scheduled send time (start + i / rate), not from when it actually
     * went out: a sender held up by a pause or by back-pressure would otherwise send late and time only what followed,
     * hiding the stall (coordinated omission). The figures from the actual send are printed beside them, so the
     * difference shows how much of the latency was the sender falling behind.
     */
    private void runLatency() throws Exception {
        int total = LATENCY_RATE * LATENCY_SECONDS;
        int warmup = LATENCY_RATE; // the first second of the schedule is not counted
        long[] fromSchedule = new long[total];
        long[] fromSend = new long[total];
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long start = System.nanoTime();
        bench.sink(message -> {
            long now = System.nanoTime();
            CloudEvent event = message.getPayload();
            int index = Integer.parseInt(event.getId().substring(LATENCY_ID_PREFIX.length()));
            fromSchedule[index] = now - scheduledAt(start, index);
            fromSend[index] = now - Long.parseLong(event.getSubject());
            if (received.incrementAndGet() == total) {
                done.complete(null);
            }
        });
        AtomicInteger next = new AtomicInteger();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        CloudEvent template = ChannelHarness.event(0);
        // Each tick sends everything whose time has come, so a late tick catches up instead of shifting the schedule.
        ticker.scheduleAtFixedRate(
                () -> {
                    long now = System.nanoTime();
                    for (int i = next.get(); i < total && scheduledAt(start, i) <= now; i = next.incrementAndGet()) {
                        bench.out()
                                .send(CloudEventBuilder.v1(template)
                                        .withId(LATENCY_ID_PREFIX + i)
                                        .withSubject(Long.toString(System.nanoTime()))
                                        .build());
                    }
                },
                0,
                1,
                TimeUnit.MILLISECONDS);
        done.get(LATENCY_SECONDS + 60L, TimeUnit.SECONDS);
        ticker.shutdownNow();
        long[] measured = Arrays.copyOfRange(fromSchedule, warmup, total);
        Arrays.sort(measured);
        long[] measuredFromSend = Arrays.copyOfRange(fromSend, warmup, total);
        Arrays.sort(measuredFromSend);
        print("latency_rate_per_s", LATENCY_RATE);
        print("latency_events", measured.length);
        print("latency_samples", measured.length);
        print("latency_p50_ms", String.format("%.3f", percentile(measured, 50)));
        print("latency_p99_ms", String.format("%.3f", percentile(measured, 99)));
        print("latency_max_ms", String.format("%.3f", measured[measured.length - 1] / 1e6));
        print("latency_from_send_p50_ms", String.format("%.3f", percentile(measuredFromSend, 50)));
        print("latency_from_send_p99_ms", String.format("%.3f", percentile(measuredFromSend, 99)));
    }

    /** When the paced sender should send event {@code index}: {@code index / rate} seconds after {@code start}. */
    private static long scheduledAt(long start, int index) {
        return start + index * 1_000_000_000L / LATENCY_RATE;
    }

    private static double percentile(long[] sorted, double percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static void print(String key, Object value) {
        System.out.println(key + "=" + value);
    }
}
