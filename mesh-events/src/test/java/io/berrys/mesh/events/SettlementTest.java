package io.berrys.mesh.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

class SettlementTest {

    @Test
    void theSameEventArrivingWhileItRunsJoinsTheRunAndBothEntriesAreSettledByIt() {
        CloudEvent command = command("cmd-1");
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Void> work = new CompletableFuture<>();
        List<String> settled = new CopyOnWriteArrayList<>();

        Settlement.whenDone(message(command, "first", settled), event -> {
            runs.incrementAndGet();
            return work;
        });
        Settlement.whenDone(message(command, "second", settled), event -> {
            runs.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        });

        assertEquals(1, runs.get());
        assertEquals(List.of(), settled);
        assertTrue(Settlement.running("cmd-1"));
        work.complete(null);
        assertEquals(Set.of("first acked", "second acked"), Set.copyOf(settled));
        assertFalse(Settlement.running("cmd-1"));

        // Once it has ended, the event runs again when it comes back: its task is idempotent against what it did.
        Settlement.whenDone(message(command, "third", settled), event -> {
            runs.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        });
        assertEquals(2, runs.get());
    }

    @Test
    void aFailedRunNacksEveryEntryThatJoinedIt() {
        CloudEvent command = command("cmd-2");
        CompletableFuture<Void> work = new CompletableFuture<>();
        List<String> settled = new CopyOnWriteArrayList<>();
        Settlement.whenDone(message(command, "first", settled), event -> work);
        Settlement.whenDone(message(command, "second", settled), event -> work);

        work.completeExceptionally(new RetryLaterException("store down", 100));

        assertEquals(Set.of("first nacked: store down", "second nacked: store down"), Set.copyOf(settled));
        assertFalse(Settlement.running("cmd-2"));
    }

    private static CloudEvent command(String id) {
        return CloudEventBuilder.v1()
                .withId(id)
                .withSource(URI.create("/mesh/coordinator"))
                .withType("mesh.backup.triggered")
                .build();
    }

    private static Message<CloudEvent> message(CloudEvent event, String name, List<String> settled) {
        return Message.of(event)
                .withAck(() -> {
                    settled.add(name + " acked");
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(failure -> {
                    settled.add(name + " nacked: " + failure.getMessage());
                    return CompletableFuture.completedFuture(null);
                });
    }
}
