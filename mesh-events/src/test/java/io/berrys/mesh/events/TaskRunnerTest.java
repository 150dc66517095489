package io.berrys.mesh.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lifecycle every task owner runs through TaskRunner, with the replies it writes recorded. */
class TaskRunnerTest {

    /** Records what a task writes and acknowledges it at once, as a stream that took it would. */
    static final class RecordingEmitter implements Emitter<CloudEvent> {
        final List<CloudEvent> sent = new CopyOnWriteArrayList<>();
        volatile boolean refuseFinished;

        @Override
        public CompletionStage<Void> send(CloudEvent event) {
            send(Message.of(event));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public <M extends Message<? extends CloudEvent>> void send(M message) {
            CloudEvent event = message.getPayload();
            if (refuseFinished && event.getType().endsWith(".finished")) {
                message.nack(new IllegalStateException("stream unavailable"));
                return;
            }
            sent.add(event);
            message.ack();
        }

        @Override
        public void complete() {}

        @Override
        public void error(Exception e) {}

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean hasRequests() {
            return true;
        }

        List<String> types() {
            return sent.stream().map(CloudEvent::getType).toList();
        }
    }

    final RecordingEmitter emitter = new RecordingEmitter();
    final CloudEvent command = CloudEventBuilder.v1()
            .withId("cmd-1")
            .withSource(URI.create("/mesh/coordinator"))
            .withType("mesh.backup.triggered")
            .build();
    TaskRunner runner;

    @AfterEach
    void stop() {
        runner.shutdown();
    }

    TaskRunner runner(TaskRunner.Failures failures) {
        runner = new TaskRunner("test", new Replies(emitter, Services.BACKUP), "backup-service@test", failures);
        return runner;
    }

    static Throwable failureOf(CompletionStage<Void> done) throws Exception {
        try {
            done.toCompletableFuture().get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void aTaskIsStartedProgressedAndFinishedAndSettledOnlyOnceFinishedIsWritten() throws Exception {
        CompletionStage<Void> done = runner((c, f) -> null).run(command, progress -> {
            progress.progressed("dumping main");
            return new TaskFinished("backup", Result.PASS, "backed up", Map.of());
        });

        assertEquals(null, failureOf(done));
        assertEquals(List.of("mesh.backup.started", "mesh.backup.progressed", "mesh.backup.finished"), emitter.types());
        assertEquals("cmd-1.started", emitter.sent.get(0).getId());
        assertEquals("cmd-1.finished", emitter.sent.get(2).getId());
    }

    @Test
    void aFailureTheOwnerKnowsIsAnsweredWithAFinishedFail() throws Exception {
        CompletionStage<Void> done = runner((c, failure) -> failure instanceof IllegalStateException
                        ? TaskRunner.fail(c, "refused: " + failure.getMessage(), Map.of("database", "main"))
                        : null)
                .run(command, progress -> {
                    throw new IllegalStateException("no such database");
                });

        assertEquals(null, failureOf(done));
        CloudEvent finished = emitter.sent.get(emitter.sent.size() - 1);
        TaskFinished payload = Events.payload(finished, TaskFinished.class);
        assertEquals(Result.FAIL, payload.result());
        assertEquals("refused: no such database", payload.message());
        assertEquals("backup", payload.task());
    }

    @Test
    void aFailureOfSomethingTheTaskNeedsIsRetriedLaterWithoutAnAnswer() throws Exception {
        Throwable failure = failureOf(
                runner((c, f) -> TaskRunner.retry("S3 unavailable", 5_000)).run(command, progress -> {
                    throw new java.io.UncheckedIOException(new java.io.IOException("connection reset"));
                }));

        RetryLaterException retry = assertInstanceOf(RetryLaterException.class, failure);
        assertEquals("S3 unavailable", retry.getMessage());
        assertEquals(List.of("mesh.backup.started"), emitter.types());
    }

    @Test
    void aRetryLaterThrownByTheWorkIsPassedOnAsIs() throws Exception {
        RetryLaterException busy = new RetryLaterException("environment busy", 10_000);

        assertSame(busy, failureOf(runner((c, f) -> null).run(command, progress -> {
            throw busy;
        })));
    }

    @Test
    void anInterruptedTaskIsHandedOutAgainAndAnUnknownFailureGoesToTheConnector() throws Exception {
        assertInstanceOf(
                RetryLaterException.class, failureOf(runner((c, f) -> null).run(command, progress -> {
                    throw new InterruptedException();
                })));

        NullPointerException bug = new NullPointerException("a bug");
        assertSame(bug, failureOf(runner.run(command, progress -> {
            throw bug;
        })));
    }

    @Test
    void aFinishedThatCannotBeWrittenLeavesTheCommandToBeRetried() throws Exception {
        emitter.refuseFinished = true;

        Throwable failure = failureOf(runner((c, f) -> null)
                .run(command, progress -> new TaskFinished("backup", Result.PASS, "backed up", Map.of())));

        assertInstanceOf(RetryLaterException.class, failure);
    }

    @Test
    void aHeartbeatIsSentOnlyAfterAQuietSpell() throws Exception {
        CompletionStage<Void> done = runner((c, f) -> null).run(command, progress -> {
            progress.heartbeat(Duration.ofMinutes(1), "waiting");
            progress.progressed("step");
            progress.heartbeat(Duration.ofMinutes(1), "waiting");
            Thread.sleep(60);
            progress.heartbeat(Duration.ofMillis(50), "still waiting");
            return new TaskFinished("backup", Result.PASS, "done", Map.of());
        });

        assertEquals(null, failureOf(done));
        List<String> steps = emitter.sent.stream()
                .filter(e -> e.getType().endsWith(".progressed"))
                .map(e -> Events.payload(e, io.berrys.mesh.events.catalog.TaskProgressed.class)
                        .step())
                .toList();
        assertEquals(List.of("progress", "heartbeat"), steps);
    }

    @Test
    void aTaskThatStartsItselfIsAnsweredWithFinishedAloneWhenRefusedFirst() throws Exception {
        assertEquals(null, failureOf(runner((c, f) -> null).runStartedByWork(command, progress -> {
            return new TaskFinished("backup", Result.FAIL, "no such database", Map.of());
        })));
        assertEquals(List.of("mesh.backup.finished"), emitter.types());

        emitter.sent.clear();
        assertEquals(null, failureOf(runner.runStartedByWork(command, progress -> {
            progress.started();
            progress.started();
            return new TaskFinished("backup", Result.PASS, "backed up", Map.of());
        })));
        assertEquals(List.of("mesh.backup.started", "mesh.backup.finished"), emitter.types());
    }
}
