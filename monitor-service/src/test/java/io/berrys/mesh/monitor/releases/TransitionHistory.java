package io.berrys.mesh.monitor.releases;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.AlertFired;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.berrys.mesh.events.catalog.TaskStarted;
import io.cloudevents.CloudEvent;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Histories of {@code mesh.transitions} as the mesh writes them, built with the catalog's records and
 * {@link EventCodec}: releases published, backed up and migrated (production), rolled out in traffic steps each gated
 * by a verification, then promoted (with or without a warm window), failed, rolled back after an alert, or aborted;
 * promoted releases are decommissioned later. Entries carry explicit stream ids at the time they happened, so a
 * history can lie partly before the projection's look-back.
 */
public final class TransitionHistory {

    /** One entry: when it happened (its stream id's milliseconds) and the event. */
    public record Entry(long millis, CloudEvent event) {}

    /** How a release ends. */
    public enum Outcome {
        /** Promoted; the rollout-service keeps the previous version warm for 30 minutes (warmUntil). */
        PROMOTED_WARM,
        /** Promoted without a warmUntil: the monitor's configured rollback window applies. */
        PROMOTED_WITHOUT_WINDOW,
        /** The verification at 50 % fails, and the rollout with it. */
        FAILED,
        /** Promoted, then an alert fires and the release is rolled back. */
        ROLLED_BACK,
        /** Aborted from chat-ops before its pipeline started. */
        ABORTED
    }

    /** The outcome of release number i is {@code TURNS[i % TURNS.length]}. */
    private static final Outcome[] TURNS = {
        Outcome.PROMOTED_WARM,
        Outcome.PROMOTED_WARM,
        Outcome.PROMOTED_WITHOUT_WINDOW,
        Outcome.FAILED,
        Outcome.PROMOTED_WARM,
        Outcome.ROLLED_BACK,
        Outcome.ABORTED
    };

    private static final List<String> SERVICES = List.of(
            "agent-orchestrator",
            "planning-system",
            "model-orchestration",
            "tool-integration",
            "project-coordinator",
            "service-integration",
            "web-dashboard");
    private static final int[] STEPS = {10, 25, 50, 100};

    private final List<Entry> entries = new ArrayList<>();

    /** The entries in stream order. */
    public List<Entry> entries() {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::millis));
        return sorted;
    }

    /**
     * {@code count} releases started evenly over [{@code from}, {@code to}); what would have happened at or after
     * {@code to} is left out, so the last releases are still on their way. About 40 entries per release.
     */
    public TransitionHistory releases(String prefix, int count, Instant from, Instant to) {
        long span = to.toEpochMilli() - from.toEpochMilli();
        for (int i = 0; i < count; i++) {
            long start = from.toEpochMilli() + span * i / count;
            String environment = i % 3 == 0 ? "staging" : "production";
            String service = SERVICES.get(i % SERVICES.size());
            Outcome outcome = TURNS[i % TURNS.length];
            release(prefix + "-" + i, environment, service, outcome, start, to.toEpochMilli());
        }
        return this;
    }

    /** One release's whole life from {@code start}, cut at {@code until}. */
    public TransitionHistory release(
            String releaseId, String environment, String service, Outcome outcome, long start, long until) {
        Life life = new Life(releaseId, environment, service, start, until);
        life.at(0, Services.COORDINATOR, EventType.RELEASE_PUBLISHED, published(environment, service, releaseId));
        if (outcome == Outcome.ABORTED) {
            life.at(
                    20,
                    Services.COORDINATOR,
                    EventType.RELEASE_COMMAND,
                    new ReleaseCommand(ReleaseCommand.Command.ABORT, "chat-ops:alice", "wrong image"));
            return this;
        }
        long t = 5;
        if (environment.equals("production")) {
            life.task(t, Task.BACKUP, Services.BACKUP, List.of("dumping", "uploading"), Result.PASS, Map.of());
            life.task(t + 85, Task.MIGRATION, Services.MIGRATION, List.of("lint", "migrate"), Result.PASS, Map.of());
            t += 135;
        }
        life.at(t, Services.ROLLOUT, Task.ROLLOUT.type(Phase.STARTED), started("rollout", Services.ROLLOUT));
        life.progressed(t + 5, Task.ROLLOUT, "green-starting", null);
        life.progressed(t + 30, Task.ROLLOUT, "smoke-tests", null);
        life.progressed(t + 35, Task.ROLLOUT, "smoke-passed", null);
        t += 40;
        for (int percent : STEPS) {
            life.progressed(t, Task.ROLLOUT, "traffic-" + percent, percent);
            boolean failsHere = outcome == Outcome.FAILED && percent == 50;
            life.task(
                    t + 2,
                    Task.VERIFICATION,
                    Services.MONITOR,
                    List.of("error-rate", "error-rate", "error-rate"),
                    failsHere ? Result.FAIL : Result.PASS,
                    Map.of("error-rate", List.of(0.004, 0.003, failsHere ? 0.2 : 0.004)));
            if (failsHere) {
                life.at(
                        t + 40,
                        Services.ROLLOUT,
                        Task.ROLLOUT.type(Phase.FINISHED),
                        new TaskFinished("rollout", Result.FAIL, "verification failed at 50 %", Map.of()));
                return this;
            }
            life.progressed(t + 36, Task.ROLLOUT, "verifying-" + percent, percent);
            t += 60;
        }
        life.progressed(t, Task.ROLLOUT, "baking", 100);
        long promoted = t + 30;
        Map<String, Object> details = outcome == Outcome.PROMOTED_WITHOUT_WINDOW
                ? Map.of("active", service + "-green")
                : Map.of(
                        "active",
                        service + "-green",
                        "warmUntil",
                        Instant.ofEpochMilli(start + (promoted + 1_800) * 1_000).toString());
        life.at(
                promoted,
                Services.ROLLOUT,
                Task.ROLLOUT.type(Phase.FINISHED),
                new TaskFinished("rollout", Result.PASS, "live on " + service + "-green", details));
        if (outcome == Outcome.ROLLED_BACK) {
            life.at(
                    promoted + 300,
                    Services.MONITOR,
                    EventType.ALERT_FIRED,
                    new AlertFired(
                            "HighErrorRate",
                            "fp-" + releaseId,
                            "critical",
                            environment,
                            service,
                            Map.of("service", service),
                            "5xx above 5 %",
                            Instant.ofEpochMilli(start + promoted * 1_000).toString()));
            life.at(
                    promoted + 301,
                    Services.MONITOR,
                    EventType.RELEASE_COMMAND,
                    new ReleaseCommand(
                            ReleaseCommand.Command.ROLLBACK, "monitor-service (alert HighErrorRate)", "HighErrorRate"));
            life.task(
                    promoted + 302, Task.ROLLBACK, Services.ROLLOUT, List.of("traffic-to-blue"), Result.PASS, Map.of());
            return this;
        }
        life.task(promoted + 2_100, Task.DECOMMISSION, Services.ROLLOUT, List.of(), Result.PASS, Map.of());
        return this;
    }

    /** Any one event, at {@code millis}. */
    public TransitionHistory add(long millis, CloudEvent event) {
        entries.add(new Entry(millis, event));
        return this;
    }

    /** Stream ids for entries in stream order: their millisecond, and a sequence number among equal ones. */
    public static List<String> ids(List<Entry> entries) {
        List<String> ids = new ArrayList<>(entries.size());
        long lastMillis = -1;
        long seq = 0;
        for (Entry entry : entries) {
            seq = entry.millis() == lastMillis ? seq + 1 : 0;
            lastMillis = entry.millis();
            ids.add(entry.millis() + "-" + seq);
        }
        return ids;
    }

    /** The arguments of the XADD writing {@code event} to {@code stream} at {@code id}. */
    public static String[] xadd(String stream, String id, CloudEvent event) {
        List<String> args = new ArrayList<>();
        args.add(stream);
        args.add(id);
        EventCodec.toFields(event).forEach((field, value) -> {
            args.add(field);
            args.add(value);
        });
        return args.toArray(String[]::new);
    }

    /** An event at {@code millis}; a task's replies answer its command, as {@link Events#replyTo} makes them. */
    public static CloudEvent event(
            String type, String service, Object payload, String releaseId, String subject, long millis) {
        Events.Builder event = Events.of(type, service, payload)
                .releaseId(releaseId)
                .subject(subject)
                .time(OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC));
        EventType parsed = EventType.parse(type);
        if (parsed.isTaskEvent()) {
            String command = UUID.nameUUIDFromBytes(
                            (releaseId + " " + parsed.task().id()).getBytes(UTF_8))
                    .toString();
            event.triggeredId(command).causationId(command);
        }
        return event.build();
    }

    public static ReleasePublished published(String environment, String service, String releaseId) {
        String version = "2." + Math.abs(releaseId.hashCode() % 50) + ".0";
        return new ReleasePublished(
                environment,
                service,
                version,
                "registry.local/berrys/" + service + ":" + version,
                List.of(),
                null,
                false,
                "ci");
    }

    public static TaskStarted started(String task, String agent) {
        return new TaskStarted(task, agent, null);
    }

    /** The entries of one release, relative to its start, none at or after {@code until}. */
    private final class Life {
        private final String releaseId;
        private final String subject;
        private final long start;
        private final long until;

        Life(String releaseId, String environment, String service, long start, long until) {
            this.releaseId = releaseId;
            this.subject = environment + "/" + service;
            this.start = start;
            this.until = until;
        }

        void at(long seconds, String source, String type, Object payload) {
            long millis = start + seconds * 1_000;
            if (millis < until) {
                entries.add(new Entry(millis, event(type, source, payload, releaseId, subject, millis)));
            }
        }

        void progressed(long seconds, Task task, String step, Integer percent) {
            at(
                    seconds,
                    task.owner(),
                    task.type(Phase.PROGRESSED),
                    new TaskProgressed(
                            task.id(), step, percent, step + (percent == null ? "" : " at " + percent + " %")));
        }

        /** started, a progressed per step 10 s apart, finished. */
        void task(
                long seconds, Task task, String agent, List<String> steps, Result result, Map<String, Object> details) {
            at(seconds, agent, task.type(Phase.STARTED), started(task.id(), agent));
            long t = seconds;
            for (String step : steps) {
                t += 10;
                progressed(t, task, step, null);
            }
            at(
                    t + 2,
                    agent,
                    task.type(Phase.FINISHED),
                    new TaskFinished(task.id(), result, task.id() + " " + result, details));
        }
    }
}
