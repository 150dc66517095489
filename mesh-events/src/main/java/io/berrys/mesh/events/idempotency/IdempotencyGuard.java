package io.berrys.mesh.events.idempotency;

import io.berrys.mesh.events.RetryLaterException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Makes a handler's side effect happen once per event and consumer group, however often the event is delivered.
 *
 * <p>The first delivery takes a lease on {@code mesh:seen:<group>:<event id>} holding a token of its own, renews
 * it while the action runs, and on success marks the key {@code done} for {@code mesh.idempotency.ttl}. A failed
 * action gives its lease back (only its own: compare-and-delete on the token), so a retry runs it again; a crashed
 * one stops renewing and the lease expires. A delivery that finds someone else's lease fails with
 * {@link InProgressException}, a {@link RetryLaterException}: the connector redelivers it when the lease would
 * have expired, without using up an attempt, and it then finds the key done or takes the lease itself.
 */
@ApplicationScoped
public class IdempotencyGuard {

    static final String DONE = "done";
    private static final Logger LOG = Logger.getLogger(IdempotencyGuard.class);
    private static final String RENEW_IF_OWNER =
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end"
                    + " return 0";
    private static final String DELETE_IF_OWNER =
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
    private static final int MARK_DONE_TRIES = 5;

    private final Redis redis;
    private final Duration ttl;
    private final Duration lease;

    public IdempotencyGuard(
            Redis redis,
            @ConfigProperty(name = "mesh.idempotency.ttl", defaultValue = "P7D") Duration ttl,
            @ConfigProperty(name = "mesh.idempotency.lease", defaultValue = "PT30S") Duration lease) {
        this.redis = redis;
        this.ttl = ttl;
        this.lease = lease;
    }

    /** Runs {@code action} unless this group already completed the event; emits whether it ran. */
    public Uni<Boolean> runOnce(String group, String eventId, Supplier<Uni<?>> action) {
        String key = key(group, eventId);
        String token = UUID.randomUUID().toString();
        return send(Request.cmd(Command.SET)
                        .arg(key)
                        .arg(token)
                        .arg("NX")
                        .arg("PX")
                        .arg(lease.toMillis()))
                .onItem()
                .transformToUni(acquired ->
                        acquired != null ? runHoldingLease(key, token, action) : alreadyTaken(key, group, eventId));
    }

    private Uni<Boolean> runHoldingLease(String key, String token, Supplier<Uni<?>> action) {
        Cancellable renewal = Multi.createFrom()
                .ticks()
                .every(lease.dividedBy(3))
                .onItem()
                .transformToUniAndConcatenate(tick -> send(Request.cmd(Command.EVAL)
                                .arg(RENEW_IF_OWNER)
                                .arg(1)
                                .arg(key)
                                .arg(token)
                                .arg(lease.toMillis()))
                        .onFailure()
                        .recoverWithNull())
                .subscribe()
                .with(ignored -> {}, failure -> LOG.debugf("Lease renewal of %s stopped: %s", key, failure));
        return Uni.createFrom()
                .deferred(action)
                .onTermination()
                .invoke(renewal::cancel)
                .onFailure()
                .call(failure -> send(Request.cmd(Command.EVAL)
                                .arg(DELETE_IF_OWNER)
                                .arg(1)
                                .arg(key)
                                .arg(token))
                        .onFailure()
                        .recoverWithNull())
                .onItem()
                .transformToUni(ignored -> markDone(key));
    }

    /**
     * The side effect happened: the key must say so. Retried rather than given up, because dropping the key here
     * would let a redelivery repeat the side effect.
     */
    private Uni<Boolean> markDone(String key) {
        return send(Request.cmd(Command.SET).arg(key).arg(DONE).arg("PX").arg(ttl.toMillis()))
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(50), Duration.ofSeconds(2))
                .atMost(MARK_DONE_TRIES)
                .replaceWith(Boolean.TRUE);
    }

    private Uni<Boolean> alreadyTaken(String key, String group, String eventId) {
        return send(Request.cmd(Command.GET).arg(key)).onItem().transformToUni(state -> {
            if (state != null && DONE.equals(state.toString())) {
                return Uni.createFrom().item(Boolean.FALSE);
            }
            return send(Request.cmd(Command.PTTL).arg(key)).onItem().transform(remaining -> {
                long remainingMs = remaining == null ? lease.toMillis() : remaining.toLong();
                throw new InProgressException(group, eventId, Math.max(50, remainingMs));
            });
        });
    }

    /** Whether the group completed this event (for tests and diagnostics). */
    public Uni<Boolean> isDone(String group, String eventId) {
        return send(Request.cmd(Command.GET).arg(key(group, eventId)))
                .onItem()
                .transform(state -> state != null && DONE.equals(state.toString()));
    }

    static String key(String group, String eventId) {
        return "mesh:seen:" + group + ":" + eventId;
    }

    private Uni<Response> send(Request request) {
        return Uni.createFrom().completionStage(() -> redis.send(request).toCompletionStage());
    }

    /** Another delivery of the same event is being handled right now; retry once its lease would expire. */
    public static class InProgressException extends RetryLaterException {
        public InProgressException(String group, String eventId, long retryInMs) {
            super("event " + eventId + " is being handled by another consumer of group " + group, retryInMs);
        }
    }
}
