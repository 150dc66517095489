package io.berrys.mesh.rollout;

import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The test's side of the streams: writes commands as the coordinator would and reads what the service answered. */
final class Bus {

    static final String ROLLOUTS = "it.rollout.mesh.rollout";
    static final String PRIORITY = "it.rollout.mesh.priority";
    static final String DECOMMISSIONS = "it.rollout.mesh.decommission";
    static final String TRANSITIONS = "it.rollout.mesh.transitions";
    static final String VERIFICATIONS = "it.rollout.mesh.verification";

    private final RedisDataSource redis;

    Bus(RedisDataSource redis) {
        this.redis = redis;
    }

    CloudEvent rollout(String environment, String service, String version, String image, List<Integer> steps) {
        CloudEvent command = Events.of(
                        Task.ROLLOUT.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new RolloutTriggered(environment, service, version, image, steps))
                .releaseId("rel-" + service + "-" + version)
                .build();
        write(ROLLOUTS, command);
        return command;
    }

    /** A rollback as the coordinator or the monitor-service sends it, naming the release it judges. */
    CloudEvent rollback(String environment, String service, String reason, CloudEvent rollout) {
        CloudEvent command = Events.of(
                        Task.ROLLBACK.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new RollbackTriggered(environment, service, reason, "it"))
                .releaseId(Events.releaseId(rollout))
                .build();
        write(PRIORITY, command);
        return command;
    }

    String write(String stream, CloudEvent event) {
        return write(stream, EventCodec.toFields(event));
    }

    String write(String stream, Map<String, String> fields) {
        return redis.stream(String.class).xadd(stream, fields);
    }

    List<Map<String, String>> entries(String stream) {
        return redis.stream(String.class).xrange(stream, StreamRange.of("-", "+")).stream()
                .map(StreamMessage::payload)
                .toList();
    }

    List<CloudEvent> events(String stream) {
        return entries(stream).stream()
                .map(fields -> EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES))
                .toList();
    }

    /** Every answer to a command, in the order written. */
    List<CloudEvent> answers(CloudEvent command) {
        return events(TRANSITIONS).stream()
                .filter(event -> command.getId().equals(Events.triggeredId(event)))
                .toList();
    }

    List<String> steps(CloudEvent command) {
        return answers(command).stream()
                .filter(event -> event.getType().endsWith(".progressed"))
                .map(event -> Events.payload(event, io.berrys.mesh.events.catalog.TaskProgressed.class)
                        .step())
                .toList();
    }

    TaskFinished finished(CloudEvent command, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> finishedNow(command) != null);
        return finishedNow(command);
    }

    TaskFinished finishedNow(CloudEvent command) {
        return answers(command).stream()
                .filter(event -> event.getType().endsWith(".finished"))
                .map(event -> Events.payload(event, TaskFinished.class))
                .findFirst()
                .orElse(null);
    }

    void awaitStep(CloudEvent command, String step, Duration within) {
        await().atMost(within)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> steps(command).contains(step));
    }
}
