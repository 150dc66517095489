package io.berrys.mesh.events.redis;

import io.cloudevents.CloudEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Handlers of the test channels; they record what they saw so tests can assert the end state. */
@ApplicationScoped
public class TestChannels {

    public record Seen(String eventId, String subject, IncomingRedisStreamsMetadata metadata) {}

    private final List<Seen> roundTrip = new CopyOnWriteArrayList<>();
    private final List<Seen> flaky = new CopyOnWriteArrayList<>();
    private final List<Seen> strict = new CopyOnWriteArrayList<>();

    @Incoming("roundtrip-in")
    public CompletionStage<Void> roundTrip(Message<CloudEvent> message) {
        roundTrip.add(seen(message));
        return message.ack();
    }

    /** Fails every delivery of events whose subject is "poison"; everything else flows. */
    @Incoming("flaky-in")
    public CompletionStage<Void> flaky(Message<CloudEvent> message) {
        flaky.add(seen(message));
        if ("poison".equals(message.getPayload().getSubject())) {
            return message.nack(new IllegalStateException("cannot handle poison"));
        }
        return message.ack();
    }

    @Incoming("strict-in")
    public CompletableFuture<Void> strict(Message<CloudEvent> message) {
        strict.add(seen(message));
        return message.ack().toCompletableFuture();
    }

    public List<Seen> roundTrip() {
        return roundTrip;
    }

    public List<Seen> flaky() {
        return flaky;
    }

    public List<Seen> strict() {
        return strict;
    }

    private static Seen seen(Message<CloudEvent> message) {
        return new Seen(
                message.getPayload().getId(),
                message.getPayload().getSubject(),
                message.getMetadata(IncomingRedisStreamsMetadata.class).orElseThrow());
    }
}
