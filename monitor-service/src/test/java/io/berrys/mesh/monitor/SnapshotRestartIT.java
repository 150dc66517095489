package io.berrys.mesh.monitor;

import static java.time.temporal.ChronoUnit.MINUTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.MeshJvmOptions;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.monitor.releases.LiveReleases;
import io.berrys.mesh.monitor.releases.ProjectionConfig;
import io.berrys.mesh.monitor.releases.SnapshotStore;
import io.berrys.mesh.monitor.releases.TransitionHistory;
import io.berrys.mesh.monitor.releases.TransitionHistory.Entry;
import io.restassured.path.json.JsonPath;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The packaged service, stopped the way Kubernetes stops a pod, writes its live-release snapshot on the way out, and
 * its next start restores it and replays only the entries written after it.
 */
class SnapshotRestartIT {

    private static final String PREFIX = "it.monitor.restart-it.";
    private static final String STREAM = PREFIX + "mesh.transitions";
    private static final Path LOGS = Path.of("target/snapshot-restart-it");

    @Test
    void theServiceWritesItsSnapshotOnShutdownAndItsNextStartReplaysOnlyWhatCameAfter() {
        io.vertx.redis.client.RedisOptions account = LocalServers.redisOptions();
        RedisServerResource.deleteKeys(account, PREFIX);
        Instant now = Instant.now();
        List<Entry> history = new TransitionHistory()
                .releases("rel-restart", 12, now.minus(52, MINUTES), now.minus(4, MINUTES))
                .entries();
        List<Entry> all = new ArrayList<>(history);
        List<String> ids = new ArrayList<>();
        // No periodic write within the test: whatever is stored was written on shutdown.
        Map<String, String> properties = Map.of("mesh.monitor.snapshot.interval", "PT1H");
        try (RedisConnection redis = new RedisConnection(account)) {
            ids.addAll(redis.xadd(STREAM, history, TransitionHistory.ids(history)));

            try (ServiceProcess first = ServiceProcess.start(
                    PREFIX, LOGS.resolve("first.log"), MeshJvmOptions.fromEnvironment(), properties)) {
                assertThat(first.log()).contains("No live-release snapshot at " + STREAM + SnapshotStore.KEY_SUFFIX);
                assertThat(first.rebuildLine()).contains("from " + history.size() + " entries of " + STREAM);
                List<Entry> whileRunning = rollingOut("rel-while-running", Instant.now());
                all.addAll(whileRunning);
                ids.addAll(redis.xadd(STREAM, whileRunning, stars(whileRunning)));
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> liveReleases(first).contains("rel-while-running"));
                first.stop();
                assertThat(first.log()).contains("Wrote the live-release snapshot through " + last(ids));
            }

            String through = last(ids);
            Response stored = redis.send(Command.HMGET, STREAM + SnapshotStore.KEY_SUFFIX, "format", "through");
            assertThat(stored.get(0).toString()).isEqualTo("1");
            assertThat(stored.get(1).toString()).isEqualTo(through);

            List<Entry> whileStopped = rollingOut("rel-while-stopped", Instant.now());
            all.addAll(whileStopped);
            ids.addAll(redis.xadd(STREAM, whileStopped, stars(whileStopped)));
            try (ServiceProcess second = ServiceProcess.start(
                    PREFIX, LOGS.resolve("second.log"), MeshJvmOptions.fromEnvironment(), properties)) {
                assertThat(second.rebuildLine())
                        .contains("from the snapshot through " + through + " (")
                        .contains(" and 2 later entries of " + STREAM);
                LiveReleases expected = new LiveReleases(ProjectionConfig.withRollbackWindow(Duration.ofMinutes(30)));
                for (int i = 0; i < all.size(); i++) {
                    expected.apply(all.get(i).event(), ids.get(i));
                }
                Set<String> live = liveReleases(second);
                Instant asked = Instant.now();
                assertThat(live)
                        .contains("rel-while-running", "rel-while-stopped")
                        .isEqualTo(expected.all().stream()
                                .filter(release -> release.rollbackable(asked))
                                .map(LiveReleases.Live::releaseId)
                                .collect(Collectors.toSet()));
            }
        } finally {
            RedisServerResource.deleteKeys(account, PREFIX);
        }
    }

    private static List<Entry> rollingOut(String releaseId, Instant at) {
        return new TransitionHistory()
                .release(
                        releaseId,
                        "staging",
                        "tool-integration",
                        TransitionHistory.Outcome.PROMOTED_WARM,
                        at.toEpochMilli(),
                        at.plusSeconds(6).toEpochMilli())
                .entries();
    }

    private static String last(List<String> ids) {
        return ids.get(ids.size() - 1);
    }

    private static List<String> stars(List<Entry> entries) {
        return Collections.nCopies(entries.size(), "*");
    }

    private static Set<String> liveReleases(ServiceProcess service) {
        return Set.copyOf(JsonPath.from(service.get("/api/live-releases")).getList("releaseId", String.class));
    }
}
