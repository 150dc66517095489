package io.berrys.mesh.events.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.testing.LocalServers;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Writes Redis refuses: only the refused message fails, and nothing is written twice. */
class OutboundChannelIT {

    private ChannelHarness harness;

    @BeforeEach
    void connect() {
        harness = new ChannelHarness(LocalServers.redisOptions());
    }

    @AfterEach
    void close() {
        harness.close();
    }

    @Test
    void aRefusedEntryInABatchFailsAloneAndTheOthersAreWrittenOnce() {
        String stream = ChannelHarness.uniqueStream("refused");
        String notAStream = stream + ".string";
        harness.send(Request.cmd(Command.SET).arg(notAStream).arg("occupied"));
        Map<Integer, String> outcome = new ConcurrentHashMap<>();

        UnicastProcessor<Message<?>> upstream = UnicastProcessor.create();
        for (int i = 0; i < 200; i++) {
            int sequence = i;
            CloudEvent event = ChannelHarness.event(i);
            Message<CloudEvent> message = Message.of(event);
            if (i == 100) {
                message = message.withMetadata(Metadata.of(OutgoingRedisStreamsMetadata.toStream(notAStream)));
            }
            upstream.onNext(message.withAck(() -> {
                        outcome.put(sequence, "written");
                        return CompletableFuture.completedFuture(null);
                    })
                    .withNack(failure -> {
                        outcome.put(sequence, "refused: " + failure.getMessage());
                        return CompletableFuture.completedFuture(null);
                    }));
        }
        // Queued before subscribing, so they leave as one pipelined batch.
        upstream.subscribe().withSubscriber(harness.outboundChannel(ChannelHarness.outbound(stream)));

        await().atMost(Duration.ofSeconds(10)).until(() -> outcome.size() == 200);
        assertTrue(outcome.get(100).startsWith("refused: WRONGTYPE"), outcome.get(100));
        assertEquals(199, outcome.values().stream().filter("written"::equals).count());
        assertEquals(199, harness.length(stream), "each accepted entry exactly once");
    }

    @Test
    void anEventConsumersWouldRejectIsRefusedAtTheProducer() {
        String stream = ChannelHarness.uniqueStream("invalid");
        CloudEvent withoutRelease = io.cloudevents.core.builder.CloudEventBuilder.v1(ChannelHarness.event(1))
                .withoutExtension("releaseid")
                .build();
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        UnicastProcessor<Message<?>> upstream = UnicastProcessor.create();
        upstream.subscribe().withSubscriber(harness.outboundChannel(ChannelHarness.outbound(stream)));
        upstream.onNext(Message.of(withoutRelease).withNack(failure -> {
            refused.complete(failure);
            return CompletableFuture.completedFuture(null);
        }));
        Throwable failure =
                refused.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
        assertTrue(failure.getMessage().contains("required field 'releaseid' is missing"), failure.getMessage());
        assertEquals(0, harness.length(stream));
    }
}
