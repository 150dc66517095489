package io.berrys.mesh.monitor.releases;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.monitor.MonitorConfig;
import io.cloudevents.CloudEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which release of each service is live, learnt from {@code mesh.transitions} (never by asking the coordinator): a
 * release whose rollout has started can be rolled back until its rollout fails or it is rolled back, and after
 * promotion until its rollback window closes.
 */
@ApplicationScoped
public class LiveReleases {

    public enum Stage {
        QUEUED,
        ROLLING_OUT,
        PROMOTED,
        ENDED
    }

    public record Live(
            String releaseId, String environment, String service, Stage stage, Instant windowUntil, long order) {

        public boolean rollbackable(Instant now) {
            return stage == Stage.ROLLING_OUT || (stage == Stage.PROMOTED && windowUntil.isAfter(now));
        }
    }

    private static final int PRUNE_EVERY = 1_000;

    private final MonitorConfig config;
    private final Map<String, Live> byRelease = new HashMap<>();
    private final Map<String, String> lastEntry = new HashMap<>();
    private long applied;

    public LiveReleases(MonitorConfig config) {
        this.config = config;
    }

    /**
     * Applies one event read at {@code entryId}; an entry older than one already applied for the same release is
     * ignored, so the start-up rebuild and the consumer may overlap.
     */
    public synchronized void apply(CloudEvent event, String entryId) {
        String releaseId = Events.releaseId(event);
        if (releaseId == null) {
            return;
        }
        String last = lastEntry.get(releaseId);
        if (last != null && entryId != null && compareIds(entryId, last) <= 0) {
            return;
        }
        Live current = byRelease.get(releaseId);
        if (!mayChange(event.getType(), current)) {
            return;
        }
        Live next = next(current, releaseId, event);
        if (next == null) {
            return;
        }
        if (entryId != null) {
            lastEntry.put(releaseId, entryId);
        }
        byRelease.put(releaseId, next);
        if (++applied % PRUNE_EVERY == 0) {
            prune(Instant.now());
        }
    }

    /**
     * Whether an event of {@code type} about {@code releaseId} could change the projection, judged from the entry's
     * fields alone. Most of {@code mesh.transitions} is progress of rollouts already known, so the start-up rebuild
     * decodes only the entries this lets through.
     */
    public synchronized boolean mayChange(String type, String releaseId) {
        return releaseId != null && type != null && mayChange(type, byRelease.get(releaseId));
    }

    /** Never false where {@link #next} would change something; {@code next} decides the rest. */
    private static boolean mayChange(String type, Live current) {
        if (type.equals(EventType.RELEASE_PUBLISHED) || type.equals(EventType.RELEASE_COMMAND)) {
            return true;
        }
        EventType parsed = EventType.parse(type);
        if (!parsed.isTaskEvent() || parsed.phase() == Phase.TRIGGERED) {
            return false;
        }
        if (current == null) {
            return true;
        }
        if (parsed.task() == Task.ROLLOUT) {
            return parsed.phase() == Phase.FINISHED || current.stage() != Stage.ROLLING_OUT;
        }
        return parsed.task() == Task.ROLLBACK && parsed.phase() == Phase.FINISHED;
    }

    private Live next(Live current, String releaseId, CloudEvent event) {
        String type = event.getType();
        long order = applied;
        if (type.equals(EventType.RELEASE_PUBLISHED)) {
            if (current != null) {
                return null;
            }
            ReleasePublished published = Events.payload(event, ReleasePublished.class);
            return new Live(
                    releaseId, published.environment(), published.service(), Stage.QUEUED, Instant.EPOCH, order);
        }
        if (type.equals(EventType.RELEASE_COMMAND)) {
            ReleaseCommand command = Events.payload(event, ReleaseCommand.class);
            return current != null && command.command() == ReleaseCommand.Command.ABORT
                    ? withStage(current, Stage.ENDED, Instant.EPOCH, order)
                    : null;
        }
        EventType parsed = EventType.parse(type);
        if (!parsed.isTaskEvent() || parsed.phase() == Phase.TRIGGERED) {
            return null;
        }
        Live known = current != null ? current : fromSubject(releaseId, event.getSubject(), order);
        if (known == null) {
            return null;
        }
        if (parsed.task() == Task.ROLLOUT) {
            if (parsed.phase() != Phase.FINISHED) {
                return known.stage() == Stage.ROLLING_OUT
                        ? null
                        : withStage(known, Stage.ROLLING_OUT, Instant.EPOCH, order);
            }
            TaskFinished finished = Events.payload(event, TaskFinished.class);
            return finished.result() == Result.FAIL
                    ? withStage(known, Stage.ENDED, Instant.EPOCH, order)
                    : withStage(known, Stage.PROMOTED, windowEnd(finished), order);
        }
        if (parsed.task() == Task.ROLLBACK && parsed.phase() == Phase.FINISHED) {
            return withStage(known, Stage.ENDED, Instant.EPOCH, order);
        }
        return current == null ? known : null;
    }

    /** The rollout-service says until when the previous version stays warm; otherwise the configured window. */
    private Instant windowEnd(TaskFinished finished) {
        Object warmUntil = finished.details().get("warmUntil");
        if (warmUntil != null) {
            try {
                return Instant.parse(warmUntil.toString());
            } catch (DateTimeParseException e) {
                // fall through to the configured window
            }
        }
        return Instant.now().plus(config.rollbackWindow());
    }

    /** Commands carry {@code <environment>/<service>} as subject, and replies copy it. */
    private static Live fromSubject(String releaseId, String subject, long order) {
        if (subject == null) {
            return null;
        }
        int slash = subject.indexOf('/');
        if (slash <= 0 || slash == subject.length() - 1) {
            return null;
        }
        return new Live(
                releaseId,
                subject.substring(0, slash),
                subject.substring(slash + 1),
                Stage.QUEUED,
                Instant.EPOCH,
                order);
    }

    private static Live withStage(Live live, Stage stage, Instant windowUntil, long order) {
        return new Live(live.releaseId(), live.environment(), live.service(), stage, windowUntil, order);
    }

    /** The release of a service an alert should roll back now: one rolling out, else the latest still warm. */
    public synchronized Optional<Live> rollbackable(String environment, String service, Instant now) {
        return byRelease.values().stream()
                .filter(live ->
                        live.environment().equals(environment) && live.service().equals(service))
                .filter(live -> live.rollbackable(now))
                .max(Comparator.comparing((Live live) -> live.stage() == Stage.ROLLING_OUT)
                        .thenComparingLong(Live::order));
    }

    /** Any release the projection knows of the service, for the alert's timeline entry. */
    public synchronized Optional<Live> latest(String environment, String service) {
        return byRelease.values().stream()
                .filter(live ->
                        live.environment().equals(environment) && live.service().equals(service))
                .max(Comparator.comparingLong(Live::order));
    }

    public synchronized List<Live> all() {
        return List.copyOf(byRelease.values());
    }

    private void prune(Instant now) {
        byRelease
                .values()
                .removeIf(live -> live.stage() == Stage.ENDED
                        || (live.stage() == Stage.PROMOTED
                                && !live.windowUntil().isAfter(now)));
        lastEntry.keySet().retainAll(byRelease.keySet());
    }

    /** Orders Redis stream ids ({@code <ms>-<seq>}). */
    static int compareIds(String a, String b) {
        int dashA = a.indexOf('-');
        int dashB = b.indexOf('-');
        long msA = Long.parseLong(dashA < 0 ? a : a.substring(0, dashA));
        long msB = Long.parseLong(dashB < 0 ? b : b.substring(0, dashB));
        if (msA != msB) {
            return Long.compare(msA, msB);
        }
        long seqA = dashA < 0 ? 0 : Long.parseLong(a.substring(dashA + 1));
        long seqB = dashB < 0 ? 0 : Long.parseLong(b.substring(dashB + 1));
        return Long.compare(seqA, seqB);
    }
}
