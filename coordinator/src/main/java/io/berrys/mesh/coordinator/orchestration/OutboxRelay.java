package io.berrys.mesh.coordinator.orchestration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.berrys.mesh.coordinator.store.OutboxEntry;
import io.berrys.mesh.coordinator.store.Transactions;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.cloudevents.CloudEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Puts committed outbox entries on their streams (the {@code commands} channel routes each by type) and marks them
 * sent. The sweep re-sends entries a crash left unsent.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {};
    static final Duration RESEND_AFTER = Duration.ofSeconds(3);
    private static final int MARK_LIMIT = 1_000;
    private static final int RESEND_LIMIT = 500;

    private final Emitter<CloudEvent> commands;
    private final Transactions transactions;

    public OutboxRelay(
            @Channel("commands") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> commands,
            Transactions transactions) {
        this.commands = commands;
        this.transactions = transactions;
    }

    /** Sends the entries; marking them sent happens when Redis has them, without holding up the caller. */
    public Uni<Void> publish(List<OutboxEntry> entries) {
        if (entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<CompletableFuture<String>> written = new ArrayList<>(entries.size());
        for (OutboxEntry entry : entries) {
            CompletableFuture<String> done = new CompletableFuture<>();
            written.add(done);
            CloudEvent event = EventCodec.fromFields(fields(entry.fields()), EventSchema.MAX_ENTRY_BYTES);
            commands.send(Message.of(event)
                    .withAck(() -> {
                        done.complete(entry.eventId());
                        return CompletableFuture.completedFuture(null);
                    })
                    .withNack(failure -> {
                        LOG.warnf("Event %s stays in the outbox: %s", entry.eventId(), failure.getMessage());
                        done.complete(null);
                        return CompletableFuture.completedFuture(null);
                    }));
        }
        CompletableFuture.allOf(written.toArray(CompletableFuture[]::new)).thenAccept(ignored -> {
            List<String> ids = written.stream()
                    .map(CompletableFuture::join)
                    .filter(id -> id != null)
                    .toList();
            if (!ids.isEmpty()) {
                sentIds.addAll(ids);
                markSent();
            }
        });
        return Uni.createFrom().voidItem();
    }

    private final Queue<String> sentIds = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean marking = new AtomicBoolean();

    /**
     * One update at a time; whatever was sent meanwhile goes into the next, so a busy coordinator does not pay a
     * second commit for every group it writes. An entry whose mark is lost is only sent again (owners dedupe).
     */
    private void markSent() {
        if (!marking.compareAndSet(false, true)) {
            return;
        }
        List<String> ids = new ArrayList<>();
        for (String id; ids.size() < MARK_LIMIT && (id = sentIds.poll()) != null; ) {
            ids.add(id);
        }
        if (ids.isEmpty()) {
            marking.set(false);
            if (!sentIds.isEmpty()) {
                markSent();
            }
            return;
        }
        transactions
                .inTransaction(store -> store.markSent(ids, Instant.now()))
                .subscribe()
                .with(count -> markedSent(), failure -> {
                    LOG.debugf("Marking sent failed: %s", failure);
                    markedSent();
                });
    }

    private void markedSent() {
        marking.set(false);
        markSent();
    }

    /** Entries older than a few seconds and still unsent: their first send was lost with a crash or a Redis outage. */
    public Uni<Void> resendStale() {
        return transactions
                .inTransaction(store -> store.unsent(Instant.now().minus(RESEND_AFTER), RESEND_LIMIT))
                .chain(stale -> {
                    if (!stale.isEmpty()) {
                        LOG.infof("Re-sending %d outbox events left unsent", stale.size());
                    }
                    return publish(stale);
                });
    }

    static String json(Map<String, String> fields) {
        try {
            return EventCodec.JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("entry fields are not serialisable", e);
        }
    }

    static Map<String, String> fields(String json) {
        try {
            return EventCodec.JSON.readValue(json, FIELDS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored entry fields are not JSON", e);
        }
    }
}
