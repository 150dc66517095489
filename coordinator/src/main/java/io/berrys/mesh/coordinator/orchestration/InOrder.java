package io.berrys.mesh.coordinator.orchestration;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs a step for each item, one after the other, at a constant stack depth. Chaining one {@code Uni} per item
 * nests them: when the steps complete at once (the release is already read), the whole chain unwinds on one
 * stack, and a few thousand items overflow the 256 KB stacks the mesh runs with.
 */
final class InOrder {

    private InOrder() {}

    /** Completes after the last step, or fails with the first failure (later steps do not run). */
    static <T> Uni<Void> each(Iterable<T> items, Function<T, Uni<Void>> step) {
        return Uni.createFrom().emitter(emitter -> new Loop<>(items.iterator(), step, emitter).next());
    }

    private static final class Loop<T> {
        private final Iterator<T> items;
        private final Function<T, Uni<Void>> step;
        private final UniEmitter<? super Void> emitter;
        /** Steps asked for but not started: a step completing at once only counts itself, the loop runs it. */
        private final AtomicInteger requested = new AtomicInteger();

        Loop(Iterator<T> items, Function<T, Uni<Void>> step, UniEmitter<? super Void> emitter) {
            this.items = items;
            this.step = step;
            this.emitter = emitter;
        }

        void next() {
            if (requested.getAndIncrement() != 0) {
                return;
            }
            do {
                if (!items.hasNext()) {
                    emitter.complete(null);
                    return;
                }
                Uni<Void> current;
                try {
                    current = step.apply(items.next());
                } catch (RuntimeException failure) {
                    emitter.fail(failure);
                    return;
                }
                current.subscribe().with(ignored -> next(), emitter::fail);
            } while (requested.decrementAndGet() != 0);
        }
    }
}
