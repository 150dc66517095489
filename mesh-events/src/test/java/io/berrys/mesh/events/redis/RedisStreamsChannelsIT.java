package io.berrys.mesh.events.redis;

import static io.berrys.mesh.events.FieldEdits.with;
import static io.berrys.mesh.events.FieldEdits.without;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.EntryFields;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.OutgoingMessageMetadata;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.junit.jupiter.api.Test;

/** The connector inside a Quarkus application, through real channels, against the local Redis. */
@QuarkusTest
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it."),
        restrictToAnnotatedClass = false)
class RedisStreamsChannelsIT {

    @Inject
    @Channel("roundtrip-out")
    Emitter<CloudEvent> roundTripOut;

    @Inject
    @Channel("flaky-out")
    Emitter<CloudEvent> flakyOut;

    @Inject
    @Channel("bounded-out")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 30_000)
    Emitter<CloudEvent> boundedOut;

    @Inject
    @Channel("routed-out")
    Emitter<CloudEvent> routedOut;

    @Inject
    TestChannels channels;

    @Inject
    Redis redis;

    @Test
    void roundTripKeepsOrderAndReportsEntryIds() throws Exception {
        List<CloudEvent> sent = new ArrayList<>();
        List<OutgoingMessageMetadata<String>> results = new ArrayList<>();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            CloudEvent event = ChannelHarness.event(i);
            sent.add(event);
            OutgoingMessageMetadata<String> result = new OutgoingMessageMetadata<>();
            results.add(result);
            CompletableFuture<Void> acked = new CompletableFuture<>();
            acks.add(acked);
            roundTripOut.send(Message.of(event).addMetadata(result).withAck(() -> {
                acked.complete(null);
                return CompletableFuture.completedFuture(null);
            }));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> channels.roundTrip().size() >= 500);

        List<String> receivedIds =
                channels.roundTrip().stream().map(TestChannels.Seen::eventId).toList();
        assertEquals(sent.stream().map(CloudEvent::getId).toList(), receivedIds, "order must be preserved");
        TestChannels.Seen first = channels.roundTrip().get(0);
        assertEquals("it.roundtrip", first.metadata().stream());
        assertEquals("mesh-events-it", first.metadata().group());
        assertEquals(1, first.metadata().attempt());
        assertEquals(results.get(0).getResult(), first.metadata().entryId(), "entry id reported to the producer");
        await().atMost(Duration.ofSeconds(5)).until(() -> pending("it.roundtrip", "mesh-events-it") == 0);
    }

    @Test
    void handlerThatAlwaysFailsDeadLettersAfterMaxAttemptsAndTheStreamKeepsFlowing() {
        flakyOut.send(Events.of(Task.ROLLOUT.type(Phase.PROGRESSED), Services.ROLLOUT, progressed("poison"))
                .releaseId("rel-flaky")
                .triggeredId("trig")
                .subject("poison")
                .build());
        for (int i = 0; i < 20; i++) {
            flakyOut.send(ChannelHarness.event(i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> length("it.flaky.dlq") == 1);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> channels.flaky().stream()
                                .filter(s -> !"poison".equals(s.subject()))
                                .count()
                        == 20);
        long poisonDeliveries = channels.flaky().stream()
                .filter(s -> "poison".equals(s.subject()))
                .count();
        assertEquals(3, poisonDeliveries, "max-attempts=3 deliveries of the poison event");

        Map<String, String> dead = lastEntry("it.flaky.dlq");
        assertEquals("3", dead.get(EntryFields.DLQ_ATTEMPTS));
        assertTrue(dead.get(EntryFields.DLQ_REASON).contains("cannot handle poison"), dead.get(EntryFields.DLQ_REASON));
        assertEquals("it.flaky", dead.get(EntryFields.DLQ_STREAM));
        assertEquals("mesh-events-it", dead.get(EntryFields.DLQ_GROUP));
        assertFalse(dead.get(EntryFields.DLQ_ORIGINAL_ID).isBlank());
        assertEquals("poison", dead.get(EntryFields.SUBJECT), "the original entry travels with the reason");
        await().atMost(Duration.ofSeconds(5)).until(() -> pending("it.flaky", "mesh-events-it") == 0);
    }

    @Test
    void malformedEntriesGoToTheDeadLetterStreamWithTheirReason() {
        Map<String, String> valid = EventCodec.toFields(ChannelHarness.event(1));
        List<Map<String, String>> broken = List.of(
                without(valid, EntryFields.TYPE),
                with(valid, EntryFields.DATA, "{oops"),
                with(valid, EntryFields.TYPE, "mesh.nothing.happened"),
                with(valid, "padding", "x".repeat(5_000)),
                Map.of("hello", "world"));
        for (Map<String, String> entry : broken) {
            xadd("it.malformed", entry);
        }
        xadd("it.malformed", valid);

        await().atMost(Duration.ofSeconds(10)).until(() -> length("it.malformed.dlq") == broken.size());
        await().atMost(Duration.ofSeconds(10)).until(() -> channels.strict().size() == 1);
        assertEquals(valid.get(EntryFields.ID), channels.strict().get(0).eventId());

        List<String> reasons = entries("it.malformed.dlq").stream()
                .map(fields -> fields.get(EntryFields.DLQ_REASON))
                .toList();
        assertTrue(reasons.get(0).contains("required field 'type' is missing"), reasons.get(0));
        assertTrue(reasons.get(1).contains("is not valid"), reasons.get(1));
        assertTrue(reasons.get(2).contains("unknown event type 'mesh.nothing.happened'"), reasons.get(2));
        assertTrue(reasons.get(3).contains("over the limit of 4096 bytes"), reasons.get(3));
        assertTrue(reasons.get(4).contains("specversion must be 1.0"), reasons.get(4));
        await().atMost(Duration.ofSeconds(5)).until(() -> pending("it.malformed", "mesh-events-it") == 0);
    }

    @Test
    void approximateMaxLenKeepsTheStreamBounded() throws Exception {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            CompletableFuture<Void> acked = new CompletableFuture<>();
            acks.add(acked);
            boundedOut.send(Message.of(ChannelHarness.event(i)).withAck(() -> {
                acked.complete(null);
                return CompletableFuture.completedFuture(null);
            }));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        long length = length("it.bounded");
        assertTrue(length >= 1_000 && length < 2_000, "MAXLEN ~ 1000 left " + length + " entries");
    }

    @Test
    void routeByTypeSendsRollbacksToThePriorityStreamUnderTheConfiguredPrefix() throws Exception {
        CloudEvent rollback = Events.of(
                        Task.ROLLBACK.type(Phase.TRIGGERED),
                        Services.MONITOR,
                        new RollbackTriggered("staging", "web-dashboard", "HighErrorRate firing", "monitor-service"))
                .releaseId("rel-routing")
                .build();
        OutgoingMessageMetadata<String> result = new OutgoingMessageMetadata<>();
        CompletableFuture<Void> acked = new CompletableFuture<>();
        routedOut.send(Message.of(rollback).addMetadata(result).withAck(() -> {
            acked.complete(null);
            return CompletableFuture.completedFuture(null);
        }));
        acked.get(10, TimeUnit.SECONDS);
        Response range = send(Request.cmd(Command.XRANGE)
                .arg("it." + Streams.PRIORITY)
                .arg(result.getResult())
                .arg(result.getResult()));
        assertEquals(1, range.size(), "the rollback is on it." + Streams.PRIORITY);
        assertEquals(0, length("it.unrouted"));
    }

    @Test
    void readinessAndMetricsDescribeTheChannels() {
        given().when()
                .get("/q/health/ready")
                .then()
                .log()
                .ifValidationFails()
                .statusCode(200)
                .body(containsString("roundtrip-in"));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> given().when()
                        .get("/q/metrics")
                        .then()
                        .statusCode(200)
                        .body(containsString("mesh_stream_length{stream=\"it.roundtrip\"}"))
                        .body(containsString("mesh_stream_pending{group=\"mesh-events-it\",stream=\"it.roundtrip\"}"))
                        .body(containsString("mesh_stream_oldest_pending_age_seconds"))
                        .body(containsString("mesh_stream_dead_letters{stream=\"it.flaky\"}"))
                        .body(containsString("mesh_stream_processed_total")));
    }

    private static io.berrys.mesh.events.catalog.TaskProgressed progressed(String step) {
        return new io.berrys.mesh.events.catalog.TaskProgressed("rollout", step, null, null);
    }

    private Response send(Request request) {
        return ChannelHarness.await(redis.send(request));
    }

    private long length(String stream) {
        return send(Request.cmd(Command.XLEN).arg(stream)).toLong();
    }

    private long pending(String stream, String group) {
        return send(Request.cmd(Command.XPENDING).arg(stream).arg(group)).get(0).toLong();
    }

    private void xadd(String stream, Map<String, String> fields) {
        Request add = Request.cmd(Command.XADD).arg(stream).arg("*");
        fields.forEach((name, value) -> add.arg(name).arg(value));
        send(add);
    }

    private List<Map<String, String>> entries(String stream) {
        return RedisReplies.entries(
                        send(Request.cmd(Command.XRANGE).arg(stream).arg("-").arg("+")))
                .stream()
                .map(StreamEntry::fields)
                .toList();
    }

    private Map<String, String> lastEntry(String stream) {
        List<Map<String, String>> all = entries(stream);
        return all.get(all.size() - 1);
    }
}
