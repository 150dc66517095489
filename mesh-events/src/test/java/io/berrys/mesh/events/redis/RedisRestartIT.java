package io.berrys.mesh.events.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.testing.PrivateRedis;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/** Redis goes away mid-stream and comes back (AOF on): both sides reconnect and no event is lost. */
class RedisRestartIT {

    @Test
    void producerAndConsumerSurviveARedisRestart() throws InterruptedException {
        try (PrivateRedis server = PrivateRedis.start(Path.of("target", "redis-restart-it"));
                ChannelHarness harness = new ChannelHarness(server.adminOptions())) {
            String stream = ChannelHarness.uniqueStream("restart");
            Set<String> received = ConcurrentHashMap.newKeySet();
            AtomicInteger deliveries = new AtomicInteger();
            harness.inboundChannel(TestSettings.incoming(stream, "a").build())
                    .messages()
                    .subscribe()
                    .with(message -> {
                        deliveries.incrementAndGet();
                        received.add(((CloudEvent) message.getPayload()).getId());
                        message.ack();
                    });

            UnicastProcessor<Message<?>> upstream = UnicastProcessor.create();
            upstream.subscribe().withSubscriber(harness.outboundChannel(ChannelHarness.outbound(stream)));
            List<String> sent = new CopyOnWriteArrayList<>();
            Set<String> written = ConcurrentHashMap.newKeySet();
            Set<String> failed = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 3_000; i++) {
                CloudEvent event = ChannelHarness.event(i);
                sent.add(event.getId());
                upstream.onNext(Message.of(event)
                        .withAck(() -> {
                            written.add(event.getId());
                            return java.util.concurrent.CompletableFuture.completedFuture(null);
                        })
                        .withNack(failure -> {
                            failed.add(event.getId());
                            return java.util.concurrent.CompletableFuture.completedFuture(null);
                        }));
                if (i == 1_000) {
                    server.restart();
                }
                if (i % 100 == 0) {
                    TimeUnit.MILLISECONDS.sleep(50);
                }
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> written.size() + failed.size() == sent.size());
            assertEquals(Set.of(), failed, "writes must be retried across the restart, not dropped");
            await().atMost(Duration.ofSeconds(60)).until(() -> received.containsAll(sent));
            await().atMost(Duration.ofSeconds(10)).until(() -> harness.pending(stream, "it-group") == 0);
            assertTrue(deliveries.get() >= sent.size());
        }
    }
}
