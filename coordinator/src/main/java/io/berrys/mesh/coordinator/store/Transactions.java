package io.berrys.mesh.coordinator.store;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Supplier;

/**
 * Every unit of work on the store runs in a transaction on a Vert.x context of its own. Hibernate Reactive keeps
 * the session in the context; callers here (a message handler, a request, a sweep, a relay callback) may share or
 * reuse contexts, and two pieces of work on one session corrupt each other's transactions.
 */
@ApplicationScoped
public class Transactions {

    private final Vertx vertx;

    public Transactions(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * A context on the next event loop in turn. Work started from an event loop stays on it otherwise, and a
     * writer that spends its time in Hibernate's flushes would then share one core with everything else.
     */
    public Context newEventLoopContext() {
        return ((VertxInternal) vertx).createEventLoopContext();
    }

    public <T> Uni<T> inTransaction(Supplier<Uni<T>> work) {
        return inTransaction(vertx.getOrCreateContext(), work);
    }

    /** A transaction whose work runs on the event loop of {@code home}. */
    public <T> Uni<T> inTransaction(Context home, Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = VertxContext.createNewDuplicatedContext(home);
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(
                    start -> Panache.withTransaction(work).subscribe().with(emitter::complete, emitter::fail));
        });
    }
}
