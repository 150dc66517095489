package io.berrys.mesh.migration;

import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.RetryLaterException;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.MigrationTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * {@code mesh.migration.triggered}: started, progress, finished. A command delivered again after a crash runs
 * again; Flyway's history makes that harmless (what was applied is not applied twice).
 */
@ApplicationScoped
public class MigrationHandlers {

    private static final Logger LOG = Logger.getLogger(MigrationHandlers.class);
    private static final String SERVICE = Services.MIGRATION;

    private final MigrationEngine engine;
    private final Replies replies;
    private final ExecutorService workers = Settlement.workers("migration");

    public MigrationHandlers(
            MigrationEngine engine,
            @Channel("replies") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> replies) {
        this.engine = engine;
        this.replies = new Replies(replies, SERVICE);
    }

    @Incoming("migrations")
    public Uni<Void> migrate(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::migrateCommand);
    }

    CompletionStage<Void> migrateCommand(CloudEvent command) {
        MigrationTriggered request = Events.command(command, Task.MIGRATION, MigrationTriggered.class);
        CompletableFuture<Void> done = new CompletableFuture<>();
        workers.execute(() -> {
            try {
                replies.started(command, SERVICE);
                TaskFinished finished;
                try {
                    finished = engine.migrate(
                            Events.releaseId(command),
                            request,
                            message -> replies.progressed(command, "progress", null, message));
                } catch (MigrationFailed e) {
                    finished = new TaskFinished("migration", Result.FAIL, e.getMessage(), e.details());
                }
                LOG.infof(
                        "Migration of %s for %s: %s %s",
                        request.database(), Events.releaseId(command), finished.result(), finished.message());
                replies.finish(command, finished, done);
            } catch (RuntimeException e) {
                if (isRedisFailure(e)) {
                    // The backup evidence could not be read: the command is fine, Redis is not.
                    done.completeExceptionally(new RetryLaterException("Redis unavailable: " + e.getMessage(), 2_000));
                    return;
                }
                LOG.errorf(e, "Migration %s failed", command.getId());
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private static boolean isRedisFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String name = cause.getClass().getName();
            if (name.startsWith("io.vertx.redis")
                    || name.startsWith("io.quarkus.redis")
                    || cause instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    void stop(@Observes ShutdownEvent event) {
        workers.shutdownNow();
    }
}
