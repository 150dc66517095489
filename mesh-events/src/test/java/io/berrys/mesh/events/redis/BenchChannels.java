package io.berrys.mesh.events.redis;

import io.cloudevents.CloudEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/** The producer and consumer measured by {@link BackboneBenchmark}; idle in every other test. */
@ApplicationScoped
public class BenchChannels {

    @Inject
    @Channel("bench-out")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 65_536)
    Emitter<CloudEvent> out;

    private volatile Consumer<Message<CloudEvent>> sink = message -> {};

    @Incoming("bench-in")
    public CompletionStage<Void> consume(Message<CloudEvent> message) {
        sink.accept(message);
        return message.ack();
    }

    public Emitter<CloudEvent> out() {
        return out;
    }

    public void sink(Consumer<Message<CloudEvent>> sink) {
        this.sink = sink;
    }
}
