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
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/**
 * Figures for {@code bench/backbone.sh}: connector throughput (Emitter → Redis → @Incoming → XACK), the naive
 * one-entry-at-a-time loop on the same client library, and produce-to-consume latency at a steady rate. Not part of
 * the test suite (its name matches neither *Test nor *IT); it prints key=value lines and asserts nothing.
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

    private double runConnector(int events) throws Exception {
        AtomicInteger consumed = new AtomicInteger();
        CompletableFuture<Void> allConsumed = new CompletableFuture<>();
        bench.sink(message -> {
            if (consumed.incrementAndGet() == events) {
                allConsumed.complete(null);
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
        allConsumed.get(5, TimeUnit.MINUTES);
        long elapsed = System.nanoTime() - start;
        return events / (elapsed / 1e9);
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

    private void runLatency() throws Exception {
        int total = LATENCY_RATE * LATENCY_SECONDS;
        int warmup = LATENCY_RATE; // the first second is not counted
        long[] latencies = new long[total];
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        bench.sink(message -> {
            long sentAt = Long.parseLong(message.getPayload().getSubject());
            int index = received.getAndIncrement();
            if (index < total) {
                latencies[index] = System.nanoTime() - sentAt;
            }
            if (index + 1 == total) {
                done.complete(null);
            }
        });
        int perTick = Math.max(1, LATENCY_RATE / 1_000);
        AtomicLong sent = new AtomicLong();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        CloudEvent template = ChannelHarness.event(0);
        ticker.scheduleAtFixedRate(
                () -> {
                    for (int i = 0; i < perTick && sent.get() < total; i++) {
                        CloudEvent event = CloudEventBuilder.v1(template)
                                .withId("latency-" + sent.get())
                                .withSubject(Long.toString(System.nanoTime()))
                                .build();
                        sent.incrementAndGet();
                        bench.out().send(event);
                    }
                },
                0,
                1,
                TimeUnit.MILLISECONDS);
        done.get(LATENCY_SECONDS + 60L, TimeUnit.SECONDS);
        ticker.shutdownNow();
        long[] measured = Arrays.copyOfRange(latencies, warmup, total);
        Arrays.sort(measured);
        print("latency_rate_per_s", LATENCY_RATE);
        print("latency_events", measured.length);
        print("latency_p50_ms", String.format("%.3f", percentile(measured, 50)));
        print("latency_p99_ms", String.format("%.3f", percentile(measured, 99)));
        print("latency_max_ms", String.format("%.3f", measured[measured.length - 1] / 1e6));
    }

    private static double percentile(long[] sorted, double percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static void print(String key, Object value) {
        System.out.println(key + "=" + value);
    }
}
