package io.berrys.mesh.monitor;

import static java.time.temporal.ChronoUnit.HOURS;
import static java.time.temporal.ChronoUnit.MINUTES;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.MeshJvmOptions;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.monitor.releases.SnapshotStore;
import io.berrys.mesh.monitor.releases.TransitionHistory;
import io.berrys.mesh.monitor.releases.TransitionHistory.Entry;
import io.vertx.redis.client.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How long the monitor-service's start-up rebuild takes with a busy day in {@code mesh.transitions}, replaying it in
 * full and from a snapshot. The packaged service is started as the demo starts it (its JVM options, and a class
 * archive recorded first, as demo.sh records one), on a throw-away stream of {@code bench.entries} (13,000) entries
 * written with the catalog's records over the last 23 hours. Each round starts it once without a snapshot (then
 * stops it, which writes one) and once from that snapshot with {@code bench.tail} (100) newer entries to replay.
 * Not part of the test suite; prints key=value lines. Run it after packaging, in the integration-test phase:
 *
 * <pre>
 * ./mvnw -B -pl monitor-service verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=ProjectionRebuildBenchmark -Dspotless.check.skip=true
 * </pre>
 */
class ProjectionRebuildBenchmark {

    private static final int ENTRIES = Integer.getInteger("bench.entries", 13_000);
    private static final int TAIL = Integer.getInteger("bench.tail", 100);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final boolean CLASS_ARCHIVE = Boolean.parseBoolean(System.getProperty("bench.cds", "true"));
    private static final String PREFIX = "it.monitor.bench-rebuild.";
    private static final String STREAM = PREFIX + "mesh.transitions";
    private static final Path WORK =
            Path.of("target/projection-rebuild-benchmark").toAbsolutePath();

    @Test
    void measure() throws Exception {
        io.vertx.redis.client.RedisOptions account = LocalServers.redisOptions();
        RedisServerResource.deleteKeys(account, PREFIX);
        try (RedisConnection redis = new RedisConnection(account)) {
            List<Entry> day = busyDay(Instant.now());
            redis.xadd(STREAM, day, TransitionHistory.ids(day));
            System.out.println("entries=" + day.size());

            List<String> options = new ArrayList<>(MeshJvmOptions.fromEnvironment());
            if (CLASS_ARCHIVE) {
                // As demo.sh does once per build: a start and stop that records the classes it loads. This one
                // starts from a snapshot, so the archive holds the snapshot's classes as well as the replay's.
                Path archive = WORK.resolve("app-cds.jsa");
                Files.deleteIfExists(archive);
                try (ServiceProcess warmUp = start("warm-up", options)) {
                    warmUp.stop();
                }
                tail(redis, 0);
                List<String> recording = new ArrayList<>(options);
                recording.add("-XX:ArchiveClassesAtExit=" + archive);
                try (ServiceProcess recorder = start("recording", recording)) {
                    recorder.stop();
                }
                options.add("-XX:SharedArchiveFile=" + archive);
            }

            List<Long> full = new ArrayList<>();
            List<Long> fromSnapshot = new ArrayList<>();
            List<Double> readyFull = new ArrayList<>();
            List<Double> readyFromSnapshot = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                redis.send(Command.DEL, STREAM + SnapshotStore.KEY_SUFFIX);
                ServiceProcess replaying = start("full-" + round, options);
                replaying.close();
                full.add(replaying.rebuildMillis());
                readyFull.add(replaying.readySeconds());
                System.out.printf(
                        "round_%d_full: ready_s=%.2f started_s=%s | %s%n",
                        round,
                        replaying.readySeconds(),
                        replaying.startedSeconds().orElse(null),
                        rebuildMessage(replaying));

                tail(redis, round);
                long stateBytes = redis.send(Command.HSTRLEN, STREAM + SnapshotStore.KEY_SUFFIX, "state")
                        .toLong();
                ServiceProcess restoring = start("snapshot-" + round, options);
                restoring.close();
                fromSnapshot.add(restoring.rebuildMillis());
                readyFromSnapshot.add(restoring.readySeconds());
                System.out.printf(
                        "round_%d_snapshot: ready_s=%.2f started_s=%s snapshot_state_bytes=%d | %s%n",
                        round,
                        restoring.readySeconds(),
                        restoring.startedSeconds().orElse(null),
                        stateBytes,
                        rebuildMessage(restoring));
            }
            System.out.println("class_archive=" + CLASS_ARCHIVE);
            System.out.println("rebuild_full_ms=" + median(full) + " " + full);
            System.out.println("rebuild_snapshot_ms=" + median(fromSnapshot) + " " + fromSnapshot);
            System.out.println("ready_full_s=" + median(readyFull) + " " + readyFull);
            System.out.println("ready_snapshot_s=" + median(readyFromSnapshot) + " " + readyFromSnapshot);
        } finally {
            RedisServerResource.deleteKeys(account, PREFIX);
        }
    }

    /** Exactly {@code ENTRIES} entries of releases over the last 23 hours, the last ones still on their way. */
    private static List<Entry> busyDay(Instant now) {
        List<Entry> entries = new TransitionHistory()
                .releases("rel-day", ENTRIES / 30, now.minus(23, HOURS), now.minus(10, MINUTES))
                .entries();
        if (entries.size() < ENTRIES) {
            throw new IllegalStateException("only " + entries.size() + " entries generated");
        }
        return new ArrayList<>(entries.subList(0, ENTRIES));
    }

    /** What came after the snapshot: releases of the last minutes, written now. */
    private static void tail(RedisConnection redis, int round) {
        Instant now = Instant.now();
        List<Entry> entries = new TransitionHistory()
                .releases("rel-tail-" + round, 4, now.minus(10, MINUTES), now)
                .entries();
        List<Entry> tail = entries.subList(0, Math.min(TAIL, entries.size()));
        redis.xadd(STREAM, tail, Collections.nCopies(tail.size(), "*"));
    }

    private static ServiceProcess start(String name, List<String> options) throws InterruptedException {
        // As demo.sh waits for a quiet machine: the previous JVM's exit and Redis's work are over.
        Thread.sleep(3_000);
        return ServiceProcess.start(
                PREFIX, WORK.resolve(name + ".log"), options, Map.of("mesh.monitor.snapshot.interval", "PT1H"));
    }

    private static String rebuildMessage(ServiceProcess service) {
        String line = service.rebuildLine();
        return line.substring(line.indexOf("Rebuilt"));
    }

    private static <T extends Comparable<T>> T median(List<T> values) {
        List<T> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
