package io.berrys.mesh.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Function;

/**
 * Every unit of work on the store runs in a transaction of its own ({@link StoreTransaction}); what it decided is
 * written before the commit. A failure anywhere, thrown or returned, rolls the whole of it back.
 */
@ApplicationScoped
public class Transactions {

    private final Vertx vertx;
    private final Pool pool;

    public Transactions(Vertx vertx, Pool pool) {
        this.vertx = vertx;
        this.pool = pool;
    }

    /**
     * A context on the next event loop in turn. Work started from an event loop stays on it otherwise, and a
     * writer that spends its time deciding would then share one core with everything else.
     */
    public Context newEventLoopContext() {
        return ((VertxInternal) vertx).createEventLoopContext();
    }

    public <T> Uni<T> inTransaction(Function<StoreTransaction, Uni<T>> work) {
        return inTransaction(vertx.getOrCreateContext(), work);
    }

    /** A transaction whose work runs on the event loop of {@code home}. */
    public <T> Uni<T> inTransaction(Context home, Function<StoreTransaction, Uni<T>> work) {
        return inTransaction(home, ProjectionTables.LIVE, null, work);
    }

    /**
     * A transaction of a rebuild, on {@code tables} instead of the live projection, keeping {@code replayState} up
     * to date.
     */
    public <T> Uni<T> inTransaction(
            Context home, ProjectionTables tables, ReplayState replayState, Function<StoreTransaction, Uni<T>> work) {
        return Uni.createFrom()
                .emitter(emitter -> home.runOnContext(start -> pool.withTransaction(connection -> {
                            StoreTransaction store = new StoreTransaction(connection, tables, replayState);
                            // Deferred, so that an exception thrown while building the work fails it like any
                            // other failure and the transaction is rolled back.
                            return Uni.createFrom()
                                    .deferred(() -> work.apply(store))
                                    .call(store::flush);
                        })
                        .subscribe()
                        .with(emitter::complete, emitter::fail)));
    }
}
