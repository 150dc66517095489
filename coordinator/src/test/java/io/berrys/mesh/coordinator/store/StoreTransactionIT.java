package io.berrys.mesh.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.pipeline.Pipelines;
import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.coordinator.release.StageStatus;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The release store's transactions against the real PostgreSQL: read once, write what changed, lose to a newer write. */
@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class StoreTransactionIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    Transactions transactions;

    @Inject
    Pipelines pipelines;

    @Inject
    Pool pool;

    private Pipeline staging() {
        return pipelines.forEnvironment("staging").orElseThrow();
    }

    private <T> T inTransaction(Function<StoreTransaction, Uni<T>> work) {
        return transactions.inTransaction(work).await().atMost(WAIT);
    }

    /** A queued release of a service of its own, committed. */
    private Release published(String name) {
        String id = name + "-" + System.nanoTime();
        ReleasePublished request = new ReleasePublished(
                "staging", id, "1.0.0", "registry.local/" + id + ":1.0.0", List.of("agents"), null, false, "store-it");
        Release release = Release.publish(id, request, staging(), Instant.now());
        inTransaction(store -> {
            store.add(release, staging());
            return Uni.createFrom().voidItem();
        });
        return release;
    }

    private Row row(String sql, Object parameter) {
        return pool.preparedQuery(sql)
                .execute(Tuple.of(parameter))
                .await()
                .atMost(WAIT)
                .iterator()
                .next();
    }

    private long version(String releaseId) {
        return row("select lock_version from releases where id = $1", releaseId).getLong(0);
    }

    @Test
    void aReleaseIsReadOnceAndComesBackWithItsStages() {
        Release published = published("read-once");
        inTransaction(store -> store.release(published.id())
                .chain(first -> store.release(published.id()).invoke(second -> {
                    assertSame(first, second);
                    assertEquals(ReleaseState.QUEUED, second.state());
                    assertEquals(staging().stages().size(), second.stages().size());
                    assertEquals(published.request(), second.request());
                    // PostgreSQL keeps microseconds.
                    assertEquals(published.createdAt().truncatedTo(ChronoUnit.MICROS), second.createdAt());
                })));
        assertNull(inTransaction(store -> store.release("no-such-release")));
    }

    @Test
    void onlyAChangedReleaseIsWrittenAndEachWriteMovesItsVersion() {
        Release published = published("versions");
        assertEquals(0, version(published.id()));

        inTransaction(store -> store.release(published.id()).invoke(release -> store.changed(release, staging())));
        assertEquals(0, version(published.id()), "nothing changed, nothing written");

        inTransaction(store -> store.release(published.id()).invoke(release -> {
            release.admit(staging(), Instant.now());
            store.changed(release, staging());
        }));
        assertEquals(1, version(published.id()));
        assertEquals(
                "RUNNING",
                row("select state from releases where id = $1", published.id()).getString(0));
        Row first = row(
                "select status, triggered_event_id from stages where release_id = $1 and position = 0", published.id());
        assertEquals(StageStatus.TRIGGERED.name(), first.getString("status"));
        assertTrue(first.getString("triggered_event_id").startsWith(published.id()));

        // A stage alone changes: the release's row is written too, so its version guards the stages.
        inTransaction(store -> store.release(published.id()).invoke(release -> {
            String triggered = release.stages().get(0).triggeredEventId();
            release.stageStarted(triggered, Instant.now().plusSeconds(1));
            store.changed(release, staging());
        }));
        assertEquals(2, version(published.id()));
        assertEquals(
                StageStatus.RUNNING.name(),
                row("select status from stages where release_id = $1 and position = 0", published.id())
                        .getString(0));
    }

    @Test
    void aWriterThatReadBeforeAnotherCommittedLosesWithNothingWritten() {
        Release published = published("conflict");
        CompletionException failure = assertThrows(
                CompletionException.class,
                () -> transactions
                        .inTransaction(slow -> slow.release(published.id())
                                .call(stale -> inOtherTransaction(published.id(), "superseded by a"))
                                .invoke(stale -> {
                                    stale.supersede("b", Instant.now());
                                    slow.changed(stale, staging());
                                }))
                        .subscribeAsCompletionStage()
                        .toCompletableFuture()
                        .join());
        assertInstanceOf(ConcurrentUpdateException.class, failure.getCause());
        assertEquals(1, version(published.id()));
        assertEquals(
                "superseded by a",
                row("select reason from releases where id = $1", published.id()).getString(0));
    }

    private Uni<Void> inOtherTransaction(String releaseId, String reason) {
        return transactions
                .inTransaction(fast -> fast.release(releaseId).invoke(release -> {
                    release.supersede(reason.substring("superseded by ".length()), Instant.now());
                    fast.changed(release, staging());
                }))
                .replaceWithVoid();
    }

    @Test
    void aQueryAfterAChangeSeesTheChange() {
        Release older = published("query");
        inTransaction(store -> store.release(older.id()).chain(release -> {
            release.supersede("newer", Instant.now());
            store.changed(release, staging());
            return store.queued("staging", older.request().service(), ReleaseState.QUEUED.name())
                    .invoke(queued -> assertEquals(List.of(), queued));
        }));
    }

    @Test
    void logOutboxAndAuditRowsAreWrittenWithTheTransactionOrNotAtAll() {
        String eventId = "store-it-event-" + System.nanoTime();
        assertThrows(
                IllegalStateException.class,
                () -> inTransaction(store -> {
                    store.outbox(new OutboxEntry(eventId, "{}", Instant.now()));
                    store.audit(new AuditEntry("r", "store-it", "publish", eventId, Instant.now()));
                    return Uni.createFrom().failure(new IllegalStateException("rolled back on purpose"));
                }));
        assertEquals(
                0,
                row("select count(*) from outbox where event_id = $1", eventId).getLong(0));

        inTransaction(store -> {
            store.outbox(new OutboxEntry(eventId, "{}", Instant.now()));
            store.audit(new AuditEntry("r", "store-it", "publish", eventId, Instant.now()));
            return Uni.createFrom().voidItem();
        });
        assertEquals(
                1,
                row("select count(*) from outbox where event_id = $1", eventId).getLong(0));
        assertEquals(
                1, row("select count(*) from audit where detail = $1", eventId).getLong(0));
        assertEquals(
                List.of(),
                inTransaction(store -> store.unsent(Instant.now().minusSeconds(60), 10)).stream()
                        .filter(entry -> entry.eventId().equals(eventId))
                        .toList(),
                "too new to count as lost");
        assertEquals(
                1,
                inTransaction(store -> store.unsent(Instant.now().plusSeconds(1), 10_000)).stream()
                        .filter(entry -> entry.eventId().equals(eventId))
                        .count(),
                "unsent once old enough");
        assertEquals(1, (int) inTransaction(store -> store.markSent(List.of(eventId), Instant.now())));
        assertEquals(0, (int) inTransaction(store -> store.markSent(List.of(eventId), Instant.now())), "marked once");
    }
}
