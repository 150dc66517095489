package io.berrys.mesh.events.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.testing.LocalServers;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IdempotencyGuardIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Vertx vertx;
    private Redis redis;
    private IdempotencyGuard guard;

    @BeforeEach
    void connect() {
        vertx = Vertx.vertx();
        redis = Redis.createClient(vertx, LocalServers.redisOptions());
        guard = new IdempotencyGuard(redis, Duration.ofMinutes(5), Duration.ofMillis(600));
    }

    @AfterEach
    void close() {
        redis.close();
        vertx.close();
    }

    @Test
    void secondDeliveryOfACompletedEventDoesNothing() {
        String event = UUID.randomUUID().toString();
        AtomicInteger sideEffects = new AtomicInteger();
        assertTrue(guard.runOnce("it-guard", event, () -> Uni.createFrom().item(sideEffects::incrementAndGet))
                .await()
                .atMost(WAIT));
        assertFalse(guard.runOnce("it-guard", event, () -> Uni.createFrom().item(sideEffects::incrementAndGet))
                .await()
                .atMost(WAIT));
        assertEquals(1, sideEffects.get());
        assertTrue(guard.isDone("it-guard", event).await().atMost(WAIT));
    }

    @Test
    void failedActionGivesTheLeaseBackSoARetryRunsIt() {
        String event = UUID.randomUUID().toString();
        assertThrows(
                IllegalStateException.class,
                () -> guard.runOnce(
                                "it-guard", event, () -> Uni.createFrom().failure(new IllegalStateException("boom")))
                        .await()
                        .atMost(WAIT));
        AtomicInteger sideEffects = new AtomicInteger();
        assertTrue(guard.runOnce("it-guard", event, () -> Uni.createFrom().item(sideEffects::incrementAndGet))
                .await()
                .atMost(WAIT));
        assertEquals(1, sideEffects.get());
    }

    @Test
    void concurrentDeliveryWaitsForTheHolderEvenPastTheLeaseWhileItIsRenewed() throws Exception {
        String event = UUID.randomUUID().toString();
        CompletableFuture<Void> release = new CompletableFuture<>();
        AtomicInteger sideEffects = new AtomicInteger();
        var holder = guard.runOnce(
                        "it-guard",
                        event,
                        () -> Uni.createFrom().completionStage(release).invoke(sideEffects::incrementAndGet))
                .subscribeAsCompletionStage();

        // Longer than the 600 ms lease: the holder's renewals keep it.
        Thread.sleep(1_500);
        IdempotencyGuard.InProgressException busy = assertThrows(
                IdempotencyGuard.InProgressException.class,
                () -> guard.runOnce("it-guard", event, () -> Uni.createFrom().item(sideEffects::incrementAndGet))
                        .await()
                        .atMost(WAIT));
        assertTrue(busy.delayMs() > 0 && busy.delayMs() <= 600, "retry when the lease would expire: " + busy.delayMs());

        release.complete(null);
        assertTrue(holder.toCompletableFuture().get());
        assertFalse(guard.runOnce("it-guard", event, () -> Uni.createFrom().item(sideEffects::incrementAndGet))
                .await()
                .atMost(WAIT));
        assertEquals(1, sideEffects.get());
    }
}
