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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which release of each service is live, learnt from {@code mesh.transitions} (never by asking the coordinator): a
 * release whose rollout has started can be rolled back until its rollout fails or it is rolled back, and after
 * promotion until its rollback window closes.
 *
 * <p>Besides the releases it keeps {@code through}, the last stream entry it has folded, so that a
 * {@link #snapshot()} can be restored at the next start and only the entries after it replayed ({@link #restore}).
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
    /** The entry of each release last applied: older ones are ignored (a consumer's redelivery, an overlap). */
    private final Map<String, String> lastEntry = new HashMap<>();
    /**
     * The last entry of each release a replay starting there would learn the release from ({@link #introduces}):
     * what decides, at a restore, whether a full replay of the look-back would know the release at all.
     */
    private final Map<String, String> lastSeen = new HashMap<>();
    /** Changes made so far: the order of the next change, and the prune cadence. */
    private long applied;
    /** The greatest stream entry id folded, applied or not; null before the first. */
    private String through;
    /** Set when the start-up rebuild left a gap; see {@link #markIncomplete}. */
    private boolean incomplete;

    public LiveReleases(MonitorConfig config) {
        this.config = config;
    }

    /**
     * Applies one event read at {@code entryId}; an entry older than one already applied for the same release is
     * ignored, so the start-up rebuild and the consumer may overlap.
     */
    public synchronized void apply(CloudEvent event, String entryId) {
        folded(entryId);
        String releaseId = Events.releaseId(event);
        if (releaseId == null) {
            return;
        }
        change(releaseId, event, entryId);
        seen(releaseId, event.getType(), event.getSubject(), entryId);
    }

    private void change(String releaseId, CloudEvent event, String entryId) {
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
     * For the start-up rebuild: folds an entry from its fields alone and answers true when it cannot change the
     * projection ({@link #mayChange(String, String)}); answers false, folding nothing, when the caller must decode
     * it and {@link #apply} it.
     */
    public synchronized boolean skipWithoutDecoding(String entryId, String type, String releaseId, String subject) {
        if (mayChange(type, releaseId)) {
            return false;
        }
        folded(entryId);
        if (releaseId != null && type != null) {
            seen(releaseId, type, subject, entryId);
        }
        return true;
    }

    /** The rebuild read {@code entryId} but could not decode it: the projection is past it all the same. */
    public synchronized void skipUnreadable(String entryId) {
        folded(entryId);
    }

    private void folded(String entryId) {
        if (entryId != null && (through == null || compareIds(entryId, through) > 0)) {
            through = entryId;
        }
    }

    private void seen(String releaseId, String type, String subject, String entryId) {
        if (entryId == null || !byRelease.containsKey(releaseId) || !introduces(type, subject)) {
            return;
        }
        String last = lastSeen.get(releaseId);
        if (last == null || compareIds(entryId, last) > 0) {
            lastSeen.put(releaseId, entryId);
        }
    }

    /**
     * Whether a projection that does not know a release learns of it from an entry of this type and subject: its
     * publication, or any reply about it (see {@link #next}). Alerts and release commands name releases too, but
     * never introduce one.
     */
    static boolean introduces(String type, String subject) {
        if (type == null) {
            return false;
        }
        if (type.equals(EventType.RELEASE_PUBLISHED)) {
            return true;
        }
        EventType parsed = EventType.parse(type);
        return parsed.isTaskEvent() && parsed.phase() != Phase.TRIGGERED && namesService(subject);
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
                    : withStage(known, Stage.PROMOTED, windowEnd(finished, event), order);
        }
        if (parsed.task() == Task.ROLLBACK && parsed.phase() == Phase.FINISHED) {
            return withStage(known, Stage.ENDED, Instant.EPOCH, order);
        }
        return current == null ? known : null;
    }

    /**
     * The rollout-service says until when the previous version stays warm; otherwise the configured window from
     * when the rollout finished (the event's time, so a replay at any later start sets the same window).
     */
    private Instant windowEnd(TaskFinished finished, CloudEvent event) {
        Object warmUntil = finished.details().get("warmUntil");
        if (warmUntil != null) {
            try {
                return Instant.parse(warmUntil.toString());
            } catch (DateTimeParseException e) {
                // fall through to the configured window
            }
        }
        Instant finishedAt = event.getTime() != null ? event.getTime().toInstant() : Instant.now();
        return finishedAt.plus(config.rollbackWindow());
    }

    /** Commands carry {@code <environment>/<service>} as subject, and replies copy it. */
    private static Live fromSubject(String releaseId, String subject, long order) {
        if (!namesService(subject)) {
            return null;
        }
        int slash = subject.indexOf('/');
        return new Live(
                releaseId,
                subject.substring(0, slash),
                subject.substring(slash + 1),
                Stage.QUEUED,
                Instant.EPOCH,
                order);
    }

    private static boolean namesService(String subject) {
        int slash = subject == null ? -1 : subject.indexOf('/');
        return slash > 0 && slash < subject.length() - 1;
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

    /** Entries before the consumer's start were neither replayed nor delivered: the state has a gap. */
    public synchronized void markIncomplete() {
        incomplete = true;
    }

    public synchronized boolean incomplete() {
        return incomplete;
    }

    /** A copy of the whole state, consistent with {@code through}, for {@link SnapshotStore}. */
    public synchronized LiveReleasesSnapshot snapshot() {
        List<LiveReleasesSnapshot.Release> copy = new ArrayList<>(byRelease.size());
        byRelease.forEach((releaseId, live) ->
                copy.add(new LiveReleasesSnapshot.Release(live, lastEntry.get(releaseId), lastSeen.get(releaseId))));
        return new LiveReleasesSnapshot(through, applied, copy);
    }

    /**
     * Replaces the state with a snapshot, as a full replay of the stream from {@code cutoff} (an entry id) up to
     * the snapshot's {@code through} would have left it: releases no entry after the cut-off introduces are
     * dropped, since such a replay would not know them. The caller then replays the entries after {@code through}.
     * Returns the number of releases kept.
     */
    public synchronized int restore(LiveReleasesSnapshot snapshot, String cutoff) {
        byRelease.clear();
        lastEntry.clear();
        lastSeen.clear();
        for (LiveReleasesSnapshot.Release release : snapshot.releases()) {
            String seenLast = release.lastSeen();
            if (seenLast == null || compareIds(seenLast, cutoff) < 0) {
                continue;
            }
            String releaseId = release.live().releaseId();
            byRelease.put(releaseId, release.live());
            lastSeen.put(releaseId, seenLast);
            if (release.lastEntry() != null) {
                lastEntry.put(releaseId, release.lastEntry());
            }
        }
        applied = snapshot.applied();
        through = snapshot.through();
        return byRelease.size();
    }

    private void prune(Instant now) {
        byRelease
                .values()
                .removeIf(live -> live.stage() == Stage.ENDED
                        || (live.stage() == Stage.PROMOTED
                                && !live.windowUntil().isAfter(now)));
        lastEntry.keySet().retainAll(byRelease.keySet());
        lastSeen.keySet().retainAll(byRelease.keySet());
    }

    /** Whether {@code id} is a complete Redis stream id ({@code <ms>-<seq>}) that {@link #compareIds} can read. */
    static boolean isEntryId(String id) {
        int dash = id == null ? -1 : id.indexOf('-');
        return dash > 0 && digits(id, 0, dash) && digits(id, dash + 1, id.length());
    }

    /** 1 to 18 decimal digits: always a long. */
    private static boolean digits(String text, int from, int to) {
        if (to - from < 1 || to - from > 18) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
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
