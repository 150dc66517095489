package io.berrys.mesh.migration;

import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.TaskRunner;
import io.berrys.mesh.events.catalog.MigrationTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * {@code mesh.migration.triggered}: started, progress, finished. A command delivered again after a crash runs
 * again; Flyway's history makes that harmless (what was applied is not applied twice).
 */
@ApplicationScoped
public class MigrationHandlers {

    private static final String SERVICE = Services.MIGRATION;

    private final MigrationEngine engine;
    private final TaskRunner runner;

    public MigrationHandlers(
            MigrationEngine engine,
            @Channel("replies") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> replies) {
        this.engine = engine;
        this.runner = new TaskRunner("migration", new Replies(replies, SERVICE), SERVICE, MigrationHandlers::failure);
    }

    @Incoming("migrations")
    public Uni<Void> migrate(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::migrateCommand);
    }

    CompletionStage<Void> migrateCommand(CloudEvent command) {
        MigrationTriggered request = Events.command(command, Task.MIGRATION, MigrationTriggered.class);
        return runner.run(
                command,
                progress ->
                        engine.migrate(Events.releaseId(command), request, message -> progress.progressed(message)));
    }

    private static TaskRunner.Handling failure(CloudEvent command, Throwable failure) {
        if (failure instanceof MigrationFailed e) {
            return new TaskRunner.Answer(new TaskFinished("migration", Result.FAIL, e.getMessage(), e.details()));
        }
        if (isRedisFailure(failure)) {
            // The backup evidence could not be read: the command is fine, Redis is not.
            return TaskRunner.retry("Redis unavailable: " + failure.getMessage(), 2_000);
        }
        return null;
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
        runner.shutdown();
    }
}
