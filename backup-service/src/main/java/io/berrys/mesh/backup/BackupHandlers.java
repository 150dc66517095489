package io.berrys.mesh.backup;

import io.berrys.mesh.backup.postgres.PgServer;
import io.berrys.mesh.backup.store.BackupFailed;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.TaskRunner;
import io.berrys.mesh.events.catalog.BackupTriggered;
import io.berrys.mesh.events.catalog.RestoreTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * {@code mesh.backup.triggered} and {@code mesh.restore.triggered}, and the nightly backups with their retention
 * sweep. A command is acknowledged once its finished event is written; a backup's key comes from the command's
 * id, so a command delivered again after a crash finds the backup it already made.
 */
@ApplicationScoped
public class BackupHandlers {

    private static final Logger LOG = Logger.getLogger(BackupHandlers.class);
    private static final String SERVICE = Services.BACKUP;

    private final BackupEngine engine;
    private final BackupConfig config;
    private final TaskRunner runner;

    public BackupHandlers(
            BackupEngine engine,
            BackupConfig config,
            @Channel("replies") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> replies) {
        this.engine = engine;
        this.config = config;
        this.runner = new TaskRunner("backup", new Replies(replies, SERVICE), SERVICE, BackupHandlers::failure);
    }

    @Incoming("backups")
    public Uni<Void> backup(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::backupCommand);
    }

    CompletionStage<Void> backupCommand(CloudEvent command) {
        BackupTriggered request = Events.command(command, Task.BACKUP, BackupTriggered.class);
        return run(command, progress -> {
            BackupEngine.Backup backup = engine.backup(
                    request.database(),
                    Events.releaseId(command),
                    command.getId(),
                    "full".equals(request.verify()),
                    progress);
            progress.accept((backup.reused() ? "found the backup made for this command: " : "verifying ")
                    + backup.location() + " (" + request.verify() + ")");
            PgServer server = engine.server(request.database());
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("database", request.database());
            details.put("location", backup.location());
            details.put("key", backup.key());
            details.put("size", backup.manifest().size());
            details.put("sha256", backup.manifest().sha256());
            details.put("serverVersion", backup.manifest().serverVersion());
            details.put("replica", backup.manifest().replica());
            if (backup.manifest().rdsSnapshot() != null) {
                details.put("rdsSnapshot", backup.manifest().rdsSnapshot());
            }
            details.put("dumpMs", backup.dumpMs());
            try {
                BackupEngine.Verification verification =
                        engine.verify(server, backup.key(), backup.manifest(), request.verify());
                details.put("verified", true);
                details.put("verifyMode", verification.mode());
                details.put("verifyMs", verification.verifyMs());
                return new TaskFinished(
                        "backup",
                        Result.PASS,
                        "backed up " + request.database() + " to " + backup.location() + " ("
                                + backup.manifest().size() + " bytes) and verified it: " + verification.detail(),
                        details);
            } catch (BackupFailed e) {
                details.put("verified", false);
                details.put("verifyMode", request.verify());
                return new TaskFinished("backup", Result.FAIL, e.getMessage(), details);
            }
        });
    }

    @Incoming("restores")
    public Uni<Void> restore(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::restoreCommand);
    }

    CompletionStage<Void> restoreCommand(CloudEvent command) {
        RestoreTriggered request = Events.command(command, Task.RESTORE, RestoreTriggered.class);
        return run(command, progress -> {
            progress.accept("restoring " + request.backup() + " into " + request.database());
            String message =
                    engine.restoreInto(request.backup(), request.database(), request.overwrite(), command.getId());
            return new TaskFinished(
                    "restore",
                    Result.PASS,
                    message,
                    Map.of("backup", request.backup(), "database", request.database(), "verified", true));
        });
    }

    /** Nightly full backups of every scheduled database, then the retention sweep. */
    @Scheduled(cron = "${mesh.backup.schedule}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void nightly() {
        String run = "scheduled-" + Instant.now().toString().substring(0, 10);
        config.databases().forEach((name, database) -> {
            if (!database.scheduled()) {
                return;
            }
            try {
                BackupEngine.Backup backup = engine.backup(name, null, run, true, message -> LOG.info(message));
                engine.verify(engine.server(name), backup.key(), backup.manifest(), "quick");
                LOG.infof("Scheduled backup of %s: %s", name, backup.location());
            } catch (BackupFailed | SdkException e) {
                LOG.errorf("Scheduled backup of %s failed: %s", name, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            engine.sweep(Instant.now());
        } catch (SdkException e) {
            LOG.errorf("Retention sweep failed: %s", e.getMessage());
        }
    }

    private interface Work {
        TaskFinished run(java.util.function.Consumer<String> progress) throws BackupFailed, InterruptedException;
    }

    private CompletionStage<Void> run(CloudEvent command, Work work) {
        return runner.run(command, progress -> work.run(progress::progressed));
    }

    private static TaskRunner.Handling failure(CloudEvent command, Throwable failure) {
        if (failure instanceof BackupFailed e) {
            return TaskRunner.fail(command, e.getMessage(), Map.of());
        }
        if (failure instanceof AwsServiceException e && permanent(e)) {
            // Denied, not found, already exists, invalid: retrying changes nothing, so the task fails now.
            return TaskRunner.fail(
                    command,
                    "AWS refused: " + e.awsErrorDetails().errorCode() + ": "
                            + e.awsErrorDetails().errorMessage(),
                    Map.of());
        }
        if (failure instanceof SdkException e) {
            return TaskRunner.retry("AWS API unavailable: " + e.getMessage(), 5_000);
        }
        return null;
    }

    private static boolean permanent(AwsServiceException e) {
        return e.statusCode() >= 400 && e.statusCode() < 500 && e.statusCode() != 429 && !e.isThrottlingException();
    }

    void stop(@Observes ShutdownEvent event) {
        runner.shutdown();
    }
}
