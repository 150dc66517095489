package io.berrys.mesh.monitor;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.TaskStarted;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import java.util.List;
import java.util.Map;

/** The test's side of the streams: plays the coordinator and the rollout-service, reads what the monitor wrote. */
final class Bus {

    static final String TRANSITIONS = "it.monitor.mesh.transitions";
    static final String PRIORITY = "it.monitor.mesh.priority";
    /** Where the monitor's release commands go: the only stream the coordinator takes them from. */
    static final String COMMANDS = "it.monitor.mesh.commands";

    static final String VERIFICATIONS = "it.monitor.mesh.verification";

    private final RedisDataSource redis;

    Bus(RedisDataSource redis) {
        this.redis = redis;
    }

    /** A release of a service whose rollout has started: what the monitor needs to know to roll it back. */
    String rollingOut(String environment, String service) {
        String releaseId = "rel-" + environment + "-" + service + "-" + System.nanoTime();
        write(
                TRANSITIONS,
                Events.of(
                                EventType.RELEASE_PUBLISHED,
                                Services.COORDINATOR,
                                new ReleasePublished(
                                        environment,
                                        service,
                                        "1.1.0",
                                        "registry.local/" + service + ":1.1.0",
                                        List.of(),
                                        null,
                                        false,
                                        "ci"))
                        .releaseId(releaseId)
                        .build());
        write(
                TRANSITIONS,
                Events.of(
                                Task.ROLLOUT.type(Phase.STARTED),
                                Services.ROLLOUT,
                                new TaskStarted("rollout", "rollout-service", null))
                        .releaseId(releaseId)
                        .triggeredId(releaseId + ".rollout")
                        .subject(environment + "/" + service)
                        .build());
        return releaseId;
    }

    void write(String stream, CloudEvent event) {
        redis.stream(String.class).xadd(stream, EventCodec.toFields(event));
    }

    List<CloudEvent> events(String stream) {
        return redis.stream(String.class).xrange(stream, StreamRange.of("-", "+")).stream()
                .map(StreamMessage::payload)
                .map(fields -> EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES))
                .toList();
    }

    List<CloudEvent> events(String stream, String type) {
        return events(stream).stream()
                .filter(event -> event.getType().equals(type))
                .toList();
    }

    List<CloudEvent> rollbacksOf(String releaseId) {
        return events(PRIORITY, Task.ROLLBACK.type(Phase.TRIGGERED)).stream()
                .filter(event -> releaseId.equals(Events.releaseId(event)))
                .toList();
    }

    static Map<String, Object> alertBody(String name, String fingerprint, String status, Map<String, String> labels) {
        Map<String, String> all = new java.util.HashMap<>(labels);
        all.put("alertname", name);
        Map<String, Object> alert = new java.util.HashMap<>();
        alert.put("status", status);
        alert.put("labels", all);
        alert.put("annotations", Map.of("summary", name + " on " + labels.get("service")));
        alert.put("startsAt", "2026-11-26T08:00:00Z");
        alert.put("endsAt", "0001-01-01T00:00:00Z");
        alert.put("generatorURL", "http://prometheus/graph");
        alert.put("fingerprint", fingerprint);
        return Map.of(
                "version",
                "4",
                "groupKey",
                "{}:{alertname=\"" + name + "\"}",
                "truncatedAlerts",
                0,
                "status",
                status,
                "receiver",
                "mesh-monitor",
                "groupLabels",
                Map.of("alertname", name),
                "commonLabels",
                all,
                "commonAnnotations",
                Map.of(),
                "externalURL",
                "http://alertmanager",
                "alerts",
                List.of(alert));
    }
}
