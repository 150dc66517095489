package io.berrys.mesh.coordinator;

import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.coordinator.store.Transactions;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Figures for {@code bench/coordinator.sh}. The stage overhead as the issue defines it, from a finished reaching the
 * coordinator's stream to the next command written, by Redis's own clock (the two entries' ids, so neither the agents'
 * sending and reading nor the test JVM's pauses count), and the round trip the agents see (their finished going out to
 * the next command reaching them), with 1,000 releases in flight whose tasks each work a few seconds, and the same
 * with 10,000 more releases held live by silent agents; and the throughput with 1,000 releases published at once and
 * answered instantly, counting the events the coordinator's log took in. The baseline and loaded runs go in the order
 * {@link #PHASE_ORDER}, each kind reported from all its runs together, so neither gains from always coming second on a
 * JVM that has run longer; the paced warm-up before them is reported too, as the cold figure. Every percentile comes
 * with its sample count. Not part of the test suite; prints key=value lines and asserts nothing.
 */
@QuarkusTest
@TestProfile(CoordinatorBenchmark.Bench.class)
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class CoordinatorBenchmark {

    private static final int CONCURRENT = Integer.getInteger("bench.releases", 1_000);
    private static final int LIVE = Integer.getInteger("bench.live", 10_000);
    private static final long WORK_MS = Long.getLong("bench.work-ms", 10_000);
    private static final String STAGES = "backup,migration,rollout,verification,decommission";
    private static final String BASELINE = "baseline";
    private static final String LOADED = "loaded";
    /**
     * Each kind once in each half: whatever the JVM, the database or the machine gains (or loses) over the minutes
     * of the benchmark falls on both alike.
     */
    private static final List<String> PHASE_ORDER = List.of(BASELINE, LOADED, LOADED, BASELINE);

    public static class Bench implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mesh.coordinator.pipelines.bench.stages", STAGES,
                    "mesh.coordinator.pipelines.burst.stages", STAGES,
                    "mesh.coordinator.pipelines.idle.stages", STAGES,
                    "mesh.coordinator.pipelines.idle.timeouts.to-start", "PT2H",
                    "mesh.coordinator.pipelines.bench.timeouts.to-start", "PT10M",
                    "mesh.coordinator.pipelines.bench.timeouts.heartbeat", "PT10M",
                    "mesh.coordinator.pipelines.burst.timeouts.to-start", "PT10M",
                    "mesh.coordinator.pipelines.burst.timeouts.heartbeat", "PT10M",
                    "quarkus.datasource.reactive.max-size", "20",
                    "quarkus.log.category.\"io.berrys.mesh.coordinator.orchestration\".level", "WARN");
        }
    }

    @Inject
    Transactions transactions;

    @Test
    void measure() throws Exception {
        try (TestAgents agents = new TestAgents("it.coordinator.transitions")) {
            agents.answerUnregistered(command -> Events.releaseId(command).startsWith("idle-")
                    ? TestAgents.Behaviour.SILENT
                    : TestAgents.Behaviour.PASS);
            Vertx vertx = Vertx.vertx();
            Redis redis = Redis.createClient(vertx, LocalServers.redisOptions());
            try {
                // As many releases as measured, answered instantly: the JIT compiles the paths before any figure.
                // The saturation run comes next, so every overhead run is measured on a JVM that has handled
                // thousands of releases.
                run("warmup", CONCURRENT, redis, agents);
                agents.drainStageGaps();
                agents.drainCoordinatorGaps();

                // Saturation: every release at once and agents that answer instantly, so the coordinator never
                // waits for work. This gives the throughput; its gaps are mostly time spent queued behind the
                // other releases' events, not the coordinator's own cost.
                agents.workFor(Duration.ZERO);
                long loggedBefore = loggedEvents();
                long burst = run("burst", CONCURRENT, redis, agents);
                // Counted, not assumed from the pipeline's shape: an event dropped, or applied twice, shows here.
                long applied = loggedEvents() - loggedBefore;
                print("releases", CONCURRENT);
                print("releases_per_s", String.format("%.1f", CONCURRENT / (burst / 1e9)));
                print("events_applied", applied);
                print("events_per_s", String.format("%.0f", applied / (burst / 1e9)));
                long[] queued = sortedMillis(agents.drainStageGaps());
                agents.drainCoordinatorGaps();
                print("saturated_stage_gap_p50_ms", String.format("%.2f", percentile(queued, 50)));
                print("saturated_stage_gap_p99_ms", String.format("%.2f", percentile(queued, 99)));
                print("saturated_stage_gap_samples", queued.length);

                // A second warm-up paced like the measured run. Answered instantly, events arrive in bursts and are
                // committed in large groups; paced, most arrive alone and take other paths (a group of one), which
                // the JIT had not compiled yet: measured without this, the first paced run's p99 was 16-30 ms and
                // the second's (the loaded run) 11-13 ms, with or without the 10,000 live releases. Its own figure
                // is printed as the cold one (its tasks a fifth as long), so the warm-up's effect stays visible.
                agents.workFor(Duration.ofMillis(WORK_MS / 5));
                run("paced", CONCURRENT, redis, agents);
                long[] cold = sortedMillis(agents.drainCoordinatorGaps());
                agents.drainStageGaps();
                print("cold_stage_overhead_p99_ms", String.format("%.2f", percentile(cold, 99)));
                print("cold_stage_overhead_samples", cold.length);

                // Overhead: 1,000 releases in flight together, each task working a while as real ones do, so what
                // is measured is the time the coordinator adds to each stage; loaded, with 10,000 more releases
                // held live by silent agents.
                agents.workFor(Duration.ofMillis(WORK_MS));
                print("task_work_ms", WORK_MS / 2 + "-" + WORK_MS * 3 / 2);
                print("concurrent_releases", CONCURRENT);
                print("phase_order", String.join(",", PHASE_ORDER));
                Map<String, PhaseSamples> phases = Map.of(BASELINE, new PhaseSamples(), LOADED, new PhaseSamples());
                List<String> idle = List.of();
                long activeWhileLoaded = 0;
                for (String phase : PHASE_ORDER) {
                    if (phase.equals(LOADED) && idle.isEmpty()) {
                        idle = publish("idle", LIVE, redis);
                        waitFor(() -> count(ReleaseState.RUNNING) >= LIVE, 600);
                    } else if (phase.equals(BASELINE) && !idle.isEmpty()) {
                        unload(idle, redis);
                        idle = List.of();
                    }
                    run("bench", CONCURRENT, redis, agents);
                    if (phase.equals(LOADED)) {
                        activeWhileLoaded = count(ReleaseState.RUNNING);
                    }
                    phases.get(phase).add(agents);
                }
                double baselineP99 = printOverhead("", phases.get(BASELINE));
                print("live_releases_held", LIVE);
                double loadedP99 = printOverhead("loaded_", phases.get(LOADED));
                // Whole milliseconds: a p99 of 0 would make the ratio meaningless.
                print(
                        "loaded_vs_baseline_p99",
                        String.format("%.2f", Math.max(1, loadedP99) / Math.max(1, baselineP99)));
                // Taken after a loaded run, when the bench releases had all succeeded: the idle ones still held.
                print("active_releases", activeWhileLoaded);
            } finally {
                redis.close();
                vertx.close();
            }
        }
    }

    /** Publishes {@code count} releases at once and waits until all succeeded; returns the elapsed nanoseconds. */
    private long run(String prefix, int count, Redis redis, TestAgents agents) throws Exception {
        long succeededBefore = count(ReleaseState.SUCCEEDED);
        long start = System.nanoTime();
        publish(prefix, count, redis);
        waitFor(() -> count(ReleaseState.SUCCEEDED) >= succeededBefore + count, 600);
        return System.nanoTime() - start;
    }

    /** Entries of the coordinator's event log: every event it applied, each once (the log is unique by event id). */
    private long loggedEvents() {
        return transactions
                .inTransaction(store -> store.countLogUpTo(Long.MAX_VALUE))
                .await()
                .indefinitely();
    }

    /**
     * Aborts the idle releases and waits until all are, so a baseline run after a loaded one has no live releases
     * beside its own. Their rows stay (aborted), as finished releases do in production.
     */
    private void unload(List<String> idle, Redis redis) throws Exception {
        long abortedBefore = count(ReleaseState.ABORTED);
        List<CloudEvent> aborts = new ArrayList<>();
        for (String releaseId : idle) {
            aborts.add(Events.of(
                            EventType.RELEASE_COMMAND,
                            Services.MONITOR,
                            new ReleaseCommand(ReleaseCommand.Command.ABORT, "bench", "unloading for a baseline run"))
                    .releaseId(releaseId)
                    .build());
        }
        write(aborts, redis);
        waitFor(() -> count(ReleaseState.ABORTED) >= abortedBefore + idle.size(), 600);
    }

    /** Publishes {@code count} releases at once; returns their ids. */
    private static List<String> publish(String prefix, int count, Redis redis) throws Exception {
        String run = Long.toString(System.nanoTime(), 36);
        List<CloudEvent> events = new ArrayList<>();
        List<String> releaseIds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String environment = prefix.equals("idle") || prefix.equals("burst") ? prefix : "bench";
            // One service per release: the per-service queue would otherwise serialise them.
            CloudEvent event = Events.of(
                            EventType.RELEASE_PUBLISHED,
                            Services.COORDINATOR,
                            new ReleasePublished(
                                    environment,
                                    "svc-" + run + "-" + i,
                                    "1.0." + i,
                                    "registry.local/b:1.0." + i,
                                    List.of("main"),
                                    "db/migration",
                                    false,
                                    "bench"))
                    .releaseId(prefix + "-" + run + "-" + i)
                    .build();
            events.add(event);
            releaseIds.add(Events.releaseId(event));
        }
        write(events, redis);
        return releaseIds;
    }

    /** Writes release requests and commands onto the coordinator's requests stream, 500 to a pipeline. */
    private static void write(List<CloudEvent> events, Redis redis) throws Exception {
        List<Request> adds = new ArrayList<>();
        for (CloudEvent event : events) {
            Request add = Request.cmd(Command.XADD).arg(TestAgents.REQUESTS).arg("*");
            EventCodec.toFields(event).forEach((name, value) -> add.arg(name).arg(value));
            adds.add(add);
            if (adds.size() == 500) {
                redis.batch(adds).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
                adds = new ArrayList<>();
            }
        }
        if (!adds.isEmpty()) {
            redis.batch(adds).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private long count(ReleaseState state) {
        return transactions
                .inTransaction(store -> store.countReleases(state.name()))
                .await()
                .indefinitely();
    }

    private interface Check {
        boolean done() throws Exception;
    }

    private static void waitFor(Check check, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!check.done()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("benchmark did not finish within " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    private static long[] sortedMillis(List<Long> nanos) {
        long[] values = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(values);
        return values;
    }

    /** The samples of every run of one kind (baseline or loaded), pooled, and each run's own overhead p99. */
    private static final class PhaseSamples {
        final List<Long> overheads = new ArrayList<>();
        final List<Long> roundTrips = new ArrayList<>();
        final List<String> overheadP99ByRun = new ArrayList<>();

        /** Takes the gaps of the run just made from the agents, which resets them. */
        void add(TestAgents agents) {
            List<Long> runOverheads = agents.drainCoordinatorGaps();
            overheads.addAll(runOverheads);
            roundTrips.addAll(agents.drainStageGaps());
            overheadP99ByRun.add(String.format("%.2f", percentile(sortedMillis(runOverheads), 99)));
        }
    }

    /**
     * Prints the stage overhead (by Redis's clock) and the agents' round trip of one kind of run, under a prefix,
     * with the sample counts and each run's p99 in the order run; returns the overhead's p99 in milliseconds.
     */
    private static double printOverhead(String prefix, PhaseSamples phase) {
        long[] gaps = sortedMillis(phase.overheads);
        long[] roundTrips = sortedMillis(phase.roundTrips);
        print(prefix + "stage_overhead_p50_ms", String.format("%.2f", percentile(gaps, 50)));
        print(prefix + "stage_overhead_p99_ms", String.format("%.2f", percentile(gaps, 99)));
        print(prefix + "stage_overhead_samples", gaps.length);
        print(prefix + "stage_overhead_p99_ms_by_run", String.join(",", phase.overheadP99ByRun));
        print(prefix + "stage_round_trip_p50_ms", String.format("%.2f", percentile(roundTrips, 50)));
        print(prefix + "stage_round_trip_p99_ms", String.format("%.2f", percentile(roundTrips, 99)));
        print(prefix + "stage_round_trip_samples", roundTrips.length);
        return percentile(gaps, 99);
    }

    private static double percentile(long[] sorted, double percent) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static void print(String key, Object value) {
        System.out.println(key + "=" + value);
    }
}
