package io.berrys.mesh.monitor.releases;

import static java.time.temporal.ChronoUnit.HOURS;
import static java.time.temporal.ChronoUnit.MINUTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.AlertFired;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.monitor.MonitorConfig;
import io.berrys.mesh.monitor.MonitoringServers;
import io.berrys.mesh.monitor.releases.LiveReleases.Live;
import io.berrys.mesh.monitor.releases.LiveReleases.Stage;
import io.berrys.mesh.monitor.releases.TransitionHistory.Entry;
import io.berrys.mesh.monitor.releases.TransitionsProjection.Rebuilt;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.redis.client.Command;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The live-release snapshot against the real Redis: a start from a snapshot and the entries after it ends where a
 * full replay of the look-back ends, damaged, foreign and stale snapshots are replayed around, a snapshot never goes
 * backwards, and the running service keeps writing it. Each test has a stream of its own; the test resources are the
 * other ITs', so they share one boot of the service.
 */
@QuarkusTest
@QuarkusTestResource(MonitoringServers.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.monitor."))
class LiveReleasesSnapshotIT {

    @Inject
    RedisDataSource redis;

    @Inject
    MonitorConfig config;

    private String stream;
    private SnapshotStore store;

    @BeforeEach
    void streamOfItsOwn(TestInfo test) {
        stream = "it.monitor.snapshot-it." + test.getTestMethod().orElseThrow().getName() + ".transitions";
        store = new SnapshotStore(redis, stream, config.projectionLookback());
        redis.key().del(stream, store.key());
    }

    @Test
    void aSnapshotTakenHalfwayAndTheEntriesAfterItGiveWhatAFullReplayGives() {
        Instant now = Instant.now();
        List<Entry> history = new TransitionHistory()
                .releases("rel-half", 12, now.minus(52, MINUTES), now.minus(4, MINUTES))
                .entries();
        List<String> ids = TransitionHistory.ids(history);
        int half = history.size() / 2;
        write(history.subList(0, half), ids.subList(0, half));
        LiveReleases first = new LiveReleases(config);
        assertThat(rebuild(first, store, now).fromSnapshot()).isFalse();
        assertThat(store.write(first.snapshot())).isTrue();
        write(history.subList(half, history.size()), ids.subList(half, ids.size()));

        LiveReleases restored = new LiveReleases(config);
        Rebuilt fromSnapshot = rebuild(restored, store, now);
        LiveReleases full = new LiveReleases(config);
        Rebuilt replayed = rebuild(full, nothingStored(), now);

        assertThat(fromSnapshot.snapshotThrough()).isEqualTo(ids.get(half - 1));
        assertThat(fromSnapshot.entries()).isEqualTo(history.size() - half);
        assertThat(replayed.fromSnapshot()).isFalse();
        assertThat(replayed.entries()).isEqualTo(history.size());
        assertThat(history.size()).as("a few hundred entries").isBetween(300, 600);
        assertCoversEveryKindOfRelease(full, now);
        assertSameProjection(restored, full, now);

        // A consumer group's backlog may deliver entries the rebuild already folded: neither projection moves.
        for (int i = 0; i < half; i++) {
            restored.apply(history.get(i).event(), ids.get(i));
            full.apply(history.get(i).event(), ids.get(i));
        }
        assertSameProjection(restored, full, now);
    }

    @Test
    void aCorruptSnapshotIsIgnoredAndTheLookBackReplayedInFull() {
        Instant now = Instant.now();
        Misleading misleading = misleadingSnapshot(now);
        String state = misleading.snapshot().encodeState();
        store(
                Integer.toString(LiveReleasesSnapshot.FORMAT),
                misleading.lastId(),
                state.substring(0, state.length() / 2));

        assertFallsBackToAFullReplay(now);

        store(Integer.toString(LiveReleasesSnapshot.FORMAT), misleading.lastId(), state.replace("ROLLING_OUT", "GONE"));
        assertFallsBackToAFullReplay(now);
    }

    @Test
    void aSnapshotOfAnotherFormatIsIgnoredAndTheLookBackReplayedInFull() {
        Instant now = Instant.now();
        Misleading misleading = misleadingSnapshot(now);
        store(
                Integer.toString(LiveReleasesSnapshot.FORMAT + 1),
                misleading.lastId(),
                misleading.snapshot().encodeState());

        assertFallsBackToAFullReplay(now);
    }

    @Test
    void aSnapshotEndingBeforeTheLookBackIsIgnoredAndTheLookBackReplayedInFull() {
        Instant now = Instant.now();
        Misleading misleading = misleadingSnapshot(now);
        String beforeTheLookBack =
                now.minus(config.projectionLookback()).minus(1, HOURS).toEpochMilli() + "-0";
        store(
                Integer.toString(LiveReleasesSnapshot.FORMAT),
                beforeTheLookBack,
                misleading.snapshot().encodeState());

        assertFallsBackToAFullReplay(now);
    }

    @Test
    void releasesNoEntryInsideTheLookBackIntroducesAreDroppedFromTheSnapshotAsAFullReplayWould() {
        Instant now = Instant.now();
        Instant cut = now.minus(config.projectionLookback());
        TransitionHistory history = new TransitionHistory()
                .releases("rel-old", 7, cut.minus(3, HOURS), cut.minus(2, HOURS))
                .releases("rel-recent", 7, now.minus(60, MINUTES), now.minus(5, MINUTES));
        // Stuck rolling out since before the cut; an alert names it since, but an alert never introduces a release.
        rollingOut(history, "rel-stuck", "cut/stuck", cut.minus(50, MINUTES));
        history.add(
                now.minus(1, HOURS).toEpochMilli(),
                TransitionHistory.event(
                        EventType.ALERT_FIRED,
                        Services.MONITOR,
                        new AlertFired("ServiceDown", "fp-stuck", "critical", "cut", "stuck", Map.of(), "down", null),
                        "rel-stuck",
                        null,
                        now.minus(1, HOURS).toEpochMilli()));
        // Promoted before the cut with a long warm window, and nothing since: a full replay does not know it.
        rollingOut(history, "rel-warm-long", "cut/warm-long", cut.minus(40, MINUTES));
        long promoted = cut.minus(39, MINUTES).toEpochMilli();
        history.add(
                promoted,
                TransitionHistory.event(
                        Task.ROLLOUT.type(Phase.FINISHED),
                        Services.ROLLOUT,
                        new TaskFinished(
                                "rollout",
                                Result.PASS,
                                "live",
                                Map.of("warmUntil", now.plus(2, HOURS).toString())),
                        "rel-warm-long",
                        "cut/warm-long",
                        promoted));
        // Rolling out across the cut, with heartbeats since: a full replay learns it from them.
        rollingOut(history, "rel-straddling", "cut/straddling", cut.minus(30, MINUTES));
        long heartbeat = now.minus(2, HOURS).toEpochMilli();
        history.add(
                heartbeat,
                TransitionHistory.event(
                        Task.ROLLOUT.type(Phase.PROGRESSED),
                        Services.ROLLOUT,
                        new TaskProgressed("rollout", "heartbeat", null, "still shifting"),
                        "rel-straddling",
                        "cut/straddling",
                        heartbeat));
        List<Entry> entries = history.entries();
        List<String> ids = TransitionHistory.ids(entries);
        write(entries, ids);
        // A replica that has run since before the cut folded all of it.
        LiveReleases running = new LiveReleases(config);
        for (int i = 0; i < entries.size(); i++) {
            running.apply(entries.get(i).event(), ids.get(i));
        }
        assertThat(running.all()).extracting(Live::releaseId).contains("rel-stuck", "rel-warm-long", "rel-old-0");
        assertThat(store.write(running.snapshot())).isTrue();
        TransitionHistory later = new TransitionHistory();
        rollingOut(later, "rel-later", "cut/later", now.minus(1, MINUTES));
        write(later.entries(), TransitionHistory.ids(later.entries()));

        LiveReleases restored = new LiveReleases(config);
        Rebuilt fromSnapshot = rebuild(restored, store, now);
        LiveReleases full = new LiveReleases(config);
        rebuild(full, nothingStored(), now);

        assertThat(fromSnapshot.fromSnapshot()).isTrue();
        assertThat(fromSnapshot.entries()).isEqualTo(2);
        assertThat(answers(restored, now)).isEqualTo(answers(full, now));
        assertThat(restored.all())
                .extracting(Live::releaseId)
                .contains("rel-straddling", "rel-later")
                .doesNotContain("rel-stuck", "rel-warm-long")
                .noneMatch(id -> id.startsWith("rel-old-"));
        assertThat(restored.rollbackable("cut", "straddling", now))
                .map(Live::releaseId)
                .contains("rel-straddling");
        assertThat(restored.rollbackable("cut", "warm-long", now)).isEmpty();
    }

    @Test
    void anOlderSnapshotNeverReplacesANewerOne() throws Exception {
        assertThat(store.write(snapshotThrough("2000-5", "rel-newer"))).isTrue();

        assertThat(store.write(snapshotThrough("2000-4", "rel-older"))).isFalse();
        assertThat(store.write(snapshotThrough("1999-9", "rel-older"))).isFalse();
        assertThat(store.write(snapshotThrough("2000-5", "rel-same"))).isFalse();
        assertThat(storedReleases()).containsExactly("rel-newer");
        assertThat(store.read().through()).isEqualTo("2000-5");

        assertThat(store.write(snapshotThrough("2000-6", "rel-newest"))).isTrue();
        assertThat(storedReleases()).containsExactly("rel-newest");

        // Two replicas writing at once, each with its own run of snapshots: the newest of all stays.
        CompletableFuture<Void> odd = CompletableFuture.runAsync(() -> writeRun(1));
        CompletableFuture<Void> even = CompletableFuture.runAsync(() -> writeRun(0));
        CompletableFuture.allOf(odd, even).get();
        assertThat(store.read().through()).isEqualTo("3000-199");
        assertThat(storedReleases()).containsExactly("rel-199");

        // Something else under the key is replaced, not an error forever.
        redis.key().del(store.key());
        redis.execute(Command.SET, store.key(), "not a snapshot");
        assertThat(store.write(snapshotThrough("2000-7", "rel-after-garbage"))).isTrue();
        assertThat(storedReleases()).containsExactly("rel-after-garbage");
        assertThat(redis.key().pttl(store.key()))
                .isPositive()
                .isLessThanOrEqualTo(config.projectionLookback().toMillis());
    }

    @Test
    void theRunningServiceWritesItsSnapshotAsItFoldsNewEntries() {
        String transitions = "it.monitor.mesh.transitions";
        SnapshotStore service = new SnapshotStore(redis, transitions, config.projectionLookback());
        String releaseId = "rel-periodic-" + System.nanoTime();
        TransitionHistory history = new TransitionHistory();
        rollingOut(history, releaseId, "snapshot-it/periodic", Instant.now());
        List<String> written = new ArrayList<>();
        for (Entry entry : history.entries()) {
            written.add(redis.execute(Command.XADD, TransitionHistory.xadd(transitions, "*", entry.event()))
                    .toString());
        }
        String last = written.get(written.size() - 1);

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            SnapshotStore.Stored stored = service.read();
            assertThat(stored.through()).isNotNull();
            assertThat(LiveReleases.compareIds(stored.through(), last)).isGreaterThanOrEqualTo(0);
            assertThat(LiveReleasesSnapshot.decode(stored.through(), stored.state())
                            .releases())
                    .extracting(LiveReleasesSnapshot.Release::live)
                    .anyMatch(live -> live.releaseId().equals(releaseId) && live.stage() == Stage.ROLLING_OUT);
        });
    }

    /** The projection after {@link TransitionsProjection#rebuild} of this test's stream with that store. */
    private Rebuilt rebuild(LiveReleases releases, SnapshotStore snapshots, Instant now) {
        return rebuild(releases, snapshots, now, stream + ".group");
    }

    private Rebuilt rebuild(LiveReleases releases, SnapshotStore snapshots, Instant now, String group) {
        return new TransitionsProjection(releases, redis, config, snapshots, stream, group).rebuild(now);
    }

    @Test
    void aNewConsumerGroupStartsRightAfterTheLastEntryTheRebuildRead() {
        Instant now = Instant.now();
        List<Entry> history = new TransitionHistory()
                .releases("rel-group", 3, now.minus(30, MINUTES), now.minus(2, MINUTES))
                .entries();
        write(history, TransitionHistory.ids(history));
        String group = "snapshot-it-" + System.nanoTime();

        rebuild(new LiveReleases(config), nothingStored(), now, group);

        assertThat(deliveredTo(group))
                .as("what the rebuild read is not delivered again")
                .isEmpty();
        String later = redis.execute(
                        Command.XADD,
                        TransitionHistory.xadd(stream, "*", history.get(0).event()))
                .toString();
        assertThat(deliveredTo(group)).containsExactly(later);
    }

    @Test
    void aRebuildThatLeftAGapWritesNoSnapshot() {
        // Neither XRANGE nor XGROUP CREATE works on a key of another type: the history is unreadable and the group
        // cannot be placed after what was read.
        redis.value(String.class).set(stream, "not a stream");
        LiveReleases releases = new LiveReleases(config);

        Instant now = Instant.now();
        rebuild(releases, store, now);
        // The consumer goes on folding what it receives.
        List<Entry> received = new TransitionHistory()
                .releases("rel-gap", 1, now.minus(5, MINUTES), now.minus(1, MINUTES))
                .entries();
        releases.apply(received.get(0).event(), TransitionHistory.ids(received).get(0));

        assertThat(releases.incomplete()).isTrue();
        assertThat(new SnapshotWriter(releases, store, config).writeIfChanged())
                .isEqualTo(SnapshotWriter.Outcome.INCOMPLETE);
        assertThat(store.read().missing()).isTrue();
    }

    @Test
    void anExistingConsumerGroupKeepsItsPlace() {
        Instant now = Instant.now();
        List<Entry> history = new TransitionHistory()
                .releases("rel-group", 3, now.minus(30, MINUTES), now.minus(2, MINUTES))
                .entries();
        List<String> ids = TransitionHistory.ids(history);
        write(history, ids);
        String group = "snapshot-it-" + System.nanoTime();
        redis.stream(String.class).xgroupCreate(stream, group, "0");

        rebuild(new LiveReleases(config), nothingStored(), now, group);

        assertThat(deliveredTo(group)).containsExactlyElementsOf(ids);
    }

    /** The ids of the entries the group delivers now, to a consumer of this test. */
    private List<String> deliveredTo(String group) {
        return redis.stream(String.class)
                .xreadgroup(group, "snapshot-it", stream, ">", new XReadGroupArgs().count(10_000))
                .stream()
                .map(StreamMessage::id)
                .toList();
    }

    /** A store with nothing in it: rebuilding with it replays the whole look-back. */
    private SnapshotStore nothingStored() {
        SnapshotStore empty = new SnapshotStore(redis, stream + ".without-snapshot", config.projectionLookback());
        redis.key().del(empty.key());
        return empty;
    }

    private void write(List<Entry> entries, List<String> ids) {
        for (int i = 0; i < entries.size(); i++) {
            redis.execute(
                    Command.XADD,
                    TransitionHistory.xadd(stream, ids.get(i), entries.get(i).event()));
        }
    }

    private void store(String format, String through, String state) {
        redis.key().del(store.key());
        redis.execute(Command.HSET, store.key(), "format", format, "through", through, "state", state);
    }

    private static void rollingOut(TransitionHistory history, String releaseId, String subject, Instant at) {
        String[] parts = subject.split("/");
        history.add(
                at.toEpochMilli(),
                TransitionHistory.event(
                        EventType.RELEASE_PUBLISHED,
                        Services.COORDINATOR,
                        TransitionHistory.published(parts[0], parts[1], releaseId),
                        releaseId,
                        subject,
                        at.toEpochMilli()));
        history.add(
                at.toEpochMilli() + 1_000,
                TransitionHistory.event(
                        Task.ROLLOUT.type(Phase.STARTED),
                        Services.ROLLOUT,
                        TransitionHistory.started("rollout", Services.ROLLOUT),
                        releaseId,
                        subject,
                        at.toEpochMilli() + 1_000));
    }

    /** A snapshot that would give wrong answers if it were used: what the fallbacks must not restore. */
    private record Misleading(LiveReleasesSnapshot snapshot, String lastId) {}

    /**
     * The history of the first test in the stream, and a snapshot of its first half in which every release that had
     * ended is rolling out again; its {@code through} claims the whole stream.
     */
    private Misleading misleadingSnapshot(Instant now) {
        List<Entry> history = new TransitionHistory()
                .releases("rel-mislead", 12, now.minus(52, MINUTES), now.minus(4, MINUTES))
                .entries();
        List<String> ids = TransitionHistory.ids(history);
        int half = history.size() / 2;
        LiveReleases first = new LiveReleases(config);
        for (int i = 0; i < half; i++) {
            first.apply(history.get(i).event(), ids.get(i));
        }
        write(history, ids);
        String lastId = ids.get(ids.size() - 1);
        UnaryOperator<Live> revive = live -> live.stage() == Stage.ENDED
                ? new Live(
                        live.releaseId(),
                        live.environment(),
                        live.service(),
                        Stage.ROLLING_OUT,
                        live.windowUntil(),
                        live.order())
                : live;
        List<LiveReleasesSnapshot.Release> revived = first.snapshot().releases().stream()
                .map(release ->
                        new LiveReleasesSnapshot.Release(revive.apply(release.live()), lastId, release.lastSeen()))
                .toList();
        assertThat(revived).extracting(release -> release.live().stage()).contains(Stage.ROLLING_OUT);
        return new Misleading(new LiveReleasesSnapshot(lastId, first.snapshot().applied(), revived), lastId);
    }

    private void assertFallsBackToAFullReplay(Instant now) {
        LiveReleases started = new LiveReleases(config);
        Rebuilt rebuilt = rebuild(started, store, now);
        LiveReleases full = new LiveReleases(config);
        rebuild(full, nothingStored(), now);

        assertThat(full.all()).extracting(Live::stage).contains(Stage.ENDED);
        assertSameProjection(started, full, now);
        assertThat(rebuilt.fromSnapshot()).isFalse();
    }

    private static void assertCoversEveryKindOfRelease(LiveReleases releases, Instant now) {
        List<Live> all = releases.all();
        assertThat(all).extracting(Live::stage).contains(Stage.ROLLING_OUT, Stage.PROMOTED, Stage.ENDED);
        assertThat(all)
                .as("promoted releases inside and past their rollback window")
                .anyMatch(live -> live.stage() == Stage.PROMOTED && live.rollbackable(now))
                .anyMatch(live -> live.stage() == Stage.PROMOTED && !live.rollbackable(now));
    }

    /** Everything the projection holds, entry ids and counters included, and every answer it gives. */
    private static void assertSameProjection(LiveReleases actual, LiveReleases expected, Instant now) {
        LiveReleasesSnapshot a = actual.snapshot();
        LiveReleasesSnapshot e = expected.snapshot();
        assertThat(a.through()).isEqualTo(e.through());
        assertThat(a.applied()).isEqualTo(e.applied());
        assertThat(a.releases()).containsExactlyInAnyOrderElementsOf(e.releases());
        assertThat(answers(actual, now)).isEqualTo(answers(expected, now));
    }

    /**
     * What the projection answers: each release's stage and whether it can be rolled back, and per service the
     * release an alert would roll back. Not the order among releases, which only ranks them.
     */
    private static Map<String, String> answers(LiveReleases releases, Instant now) {
        Map<String, String> answers = new TreeMap<>();
        Set<String> services = new HashSet<>();
        for (Live live : releases.all()) {
            answers.put(
                    live.releaseId(),
                    live.environment() + "/" + live.service() + " " + live.stage() + " rollbackable="
                            + live.rollbackable(now));
            services.add(live.environment() + "/" + live.service());
        }
        for (String service : services) {
            String[] parts = service.split("/");
            answers.put(
                    "rollback " + service,
                    releases.rollbackable(parts[0], parts[1], now)
                            .map(Live::releaseId)
                            .orElse("none"));
        }
        return answers;
    }

    private static LiveReleasesSnapshot snapshotThrough(String through, String releaseId) {
        Live live = new Live(releaseId, "staging", "planning-system", Stage.ROLLING_OUT, Instant.EPOCH, 0);
        return new LiveReleasesSnapshot(through, 1, List.of(new LiveReleasesSnapshot.Release(live, through, through)));
    }

    private void writeRun(int parity) {
        for (int i = parity; i < 200; i += 2) {
            store.write(snapshotThrough("3000-" + i, "rel-" + i));
        }
    }

    private List<String> storedReleases() {
        SnapshotStore.Stored stored = store.read();
        return LiveReleasesSnapshot.decode(stored.through(), stored.state()).releases().stream()
                .map(release -> release.live().releaseId())
                .toList();
    }
}
