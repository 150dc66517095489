package io.berrys.mesh.events.idempotency;

import io.smallrye.mutiny.Uni;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Makes a handler's side effect happen once per event and consumer group, however often the event is delivered.
 *
 * <p>The first delivery takes a short lease on the key {@code mesh:seen:<group>:<event id>}, runs the action and
 * marks the key done for {@code mesh.idempotency.ttl}. A failed action drops the lease so a retry runs it again; a
 * crashed one lets the lease expire. A delivery that finds the lease held by someone else fails with
 * {@link InProgressException}, so the connector retries it later and then finds it done.
 */
@ApplicationScoped
public class IdempotencyGuard {

    static final String RUNNING = "running";
    static final String DONE = "done";

    private final Redis redis;
    private final Duration ttl;
    private final Duration lease;

    public IdempotencyGuard(
            Redis redis,
            @ConfigProperty(name = "mesh.idempotency.ttl", defaultValue = "P7D") Duration ttl,
            @ConfigProperty(name = "mesh.idempotency.lease", defaultValue = "PT5M") Duration lease) {
        this.redis = redis;
        this.ttl = ttl;
        this.lease = lease;
    }

    /** Runs {@code action} unless this group already completed the event; emits whether it ran. */
    public Uni<Boolean> runOnce(String group, String eventId, Supplier<Uni<?>> action) {
        String key = key(group, eventId);
        return send(Request.cmd(Command.SET)
                        .arg(key)
                        .arg(RUNNING)
                        .arg("NX")
                        .arg("PX")
                        .arg(lease.toMillis()))
                .onItem()
                .transformToUni(acquired -> {
                    if (acquired != null) {
                        return action.get()
                                .onItem()
                                .transformToUni(ignored -> send(Request.cmd(Command.SET)
                                                .arg(key)
                                                .arg(DONE)
                                                .arg("PX")
                                                .arg(ttl.toMillis()))
                                        .replaceWith(Boolean.TRUE))
                                .onFailure()
                                .call(failure -> send(Request.cmd(Command.DEL).arg(key))
                                        .onFailure()
                                        .recoverWithNull());
                    }
                    return send(Request.cmd(Command.GET).arg(key)).onItem().transform(state -> {
                        if (state != null && DONE.equals(state.toString())) {
                            return Boolean.FALSE;
                        }
                        throw new InProgressException(group, eventId);
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

    /** Another delivery of the same event is being handled right now; retry later. */
    public static class InProgressException extends RuntimeException {
        public InProgressException(String group, String eventId) {
            super("event " + eventId + " is being handled by another consumer of group " + group);
        }
    }
}
