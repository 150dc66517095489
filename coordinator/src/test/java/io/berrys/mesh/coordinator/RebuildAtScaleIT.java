package io.berrys.mesh.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berrys.mesh.coordinator.TestAgents.Behaviour;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.testing.LocalServers;
import io.cloudevents.CloudEvent;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A rebuild at production size, on the packaged coordinator under the mesh's shipped JVM options (64 MB heap, 256 KB
 * stacks): about 100,000 events from releases that succeed, fail, roll back, queue and wait for approval, all
 * applied live; then the rebuilt projections must equal the live ones. A second rebuild runs while releases keep
 * arriving: they all succeed, and a quiet rebuild afterwards gives the same projections as live processing on the
 * swapped-in tables did, so the catch-up lost nothing.
 *
 * <p>{@code bench/rebuild.sh} runs it with {@code -Drebuild.bench=true}: the live log is multiplied by copying its
 * events under new release ids up to {@code rebuild.events} (1,000,000), one rebuild runs under a paced stream of
 * releases, and the figures are printed as key=value lines.
 */
class RebuildAtScaleIT {

    private static final boolean BENCH = Boolean.getBoolean("rebuild.bench");
    /** Events applied live before the first rebuild. */
    private static final int LIVE_EVENTS = Integer.getInteger("rebuild.live-events", 100_000);
    /** Events in the log the bench rebuilds, the live ones copied to reach it. */
    private static final int BENCH_EVENTS = Integer.getInteger("rebuild.events", 1_000_000);
    /** Releases per second published while a rebuild runs. */
    private static final int PACED_PER_S = Integer.getInteger("rebuild.paced-per-s", 5);

    private static final String PREFIX = "it.rebuild.";
    private static final String TRANSITIONS = PREFIX + "transitions";
    private static final String DATABASE = LocalServers.requirePostgres().database() + "_rebuild";
    private static final List<String> PLATFORM = List.of(
            "agent-orchestrator",
            "planning-system",
            "model-orchestration",
            "tool-integration",
            "project-coordinator",
            "service-integration",
            "web-dashboard");
    /**
     * What a release reads on average: one with heartbeats on every task reads 37 (publish, 5 x (started, 5
     * progressed, finished), traffic), fewer when it fails early, waits for approval or is superseded.
     */
    private static final int EVENTS_PER_RELEASE = 30;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String token = UUID.randomUUID().toString();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Vertx vertx = Vertx.vertx();
    private final Redis redis = Redis.createClient(vertx, LocalServers.redisOptions());
    private CoordinatorProcess coordinator;
    private int published;

    @Test
    void rebuiltProjectionsEqualTheLiveOnesAtProductionSize() throws Exception {
        recreateDatabase();
        deleteStreams();
        Map<String, String> properties =
                Map.of("quarkus.log.category.\"io.berrys.mesh.coordinator.orchestration.Orchestrator\".level", "WARN");
        try (TestAgents agents = new TestAgents(PREFIX, TRANSITIONS);
                CoordinatorProcess started = CoordinatorProcess.start(
                        DATABASE, PREFIX, token, Path.of("target/rebuild-at-scale/coordinator.log"), properties)) {
            coordinator = started;
            long seedStart = System.nanoTime();
            publishUntil(agents, LIVE_EVENTS);
            awaitRest();
            long logged = count("select count(*) from event_log");
            System.out.printf(
                    "[rebuild] %,d events from %,d releases applied live in %.0f s%n",
                    logged, published, (System.nanoTime() - seedStart) / 1e9);
            if (BENCH) {
                bench(agents, logged);
                return;
            }
            assertTrue(logged >= LIVE_EVENTS, logged + " events");
            assertTrue(count("select count(distinct state) from releases") >= 4, states());

            List<String> live = snapshot();
            JsonNode quiet = rebuild();
            assertEquals("SUCCEEDED", quiet.get("state").asText(), quiet.toString());
            assertEquals(logged, quiet.get("eventsReplayed").asLong(), quiet.toString());
            assertSame(live, snapshot());

            // A rebuild under a stream of releases: none waits long, and the swapped-in tables lost nothing.
            int before = published;
            JsonNode underLoad = rebuildWhilePublishing(agents);
            assertEquals("SUCCEEDED", underLoad.get("state").asText(), underLoad.toString());
            int during = published - before;
            assertTrue(during >= 5, "only " + during + " releases published during the rebuild");
            awaitRest();
            assertEquals(
                    during,
                    count("select count(*) from releases where id like 'paced-%' and state = 'SUCCEEDED'"),
                    states());
            List<String> afterLoad = snapshot();
            JsonNode again = rebuild();
            assertEquals("SUCCEEDED", again.get("state").asText(), again.toString());
            assertEquals(
                    count("select count(*) from event_log"),
                    again.get("eventsReplayed").asLong(),
                    again.toString());
            assertSame(afterLoad, snapshot());
            assertTrue(coordinator.isAlive());
        } finally {
            redis.close();
            vertx.close();
        }
    }

    /** Copies the live log up to {@code BENCH_EVENTS}, rebuilds it under a paced stream and prints the figures. */
    private void bench(TestAgents agents, long logged) throws Exception {
        int copies = (int) Math.max(0, Math.ceil((double) (BENCH_EVENTS - logged) / logged));
        long copyStart = System.nanoTime();
        for (int copy = 1; copy <= copies; copy++) {
            execute(copyOfTheLog(copy, BENCH_EVENTS - logged * copy));
        }
        long events = count("select count(*) from event_log");
        System.out.printf(
                "[rebuild] log copied up to %,d events in %.0f s%n", events, (System.nanoTime() - copyStart) / 1e9);
        agents.drainStageGaps();
        long start = System.nanoTime();
        int before = published;
        JsonNode job = rebuildWhilePublishing(agents);
        double seconds = (System.nanoTime() - start) / 1e9;
        // A stage held up by the swap reports its gap once it moves again, after the job has ended: wait for every
        // paced release to succeed, or the longest gaps would be missing from live_pause_ms. (The copied log leaves
        // releases open for good, so the whole store never comes to rest here.)
        int paced = published - before;
        String pacedIds = "paced-" + job.get("id").asText() + "-%";
        waitFor(
                () -> count("select count(*) from releases where id like '" + pacedIds + "' and state = 'SUCCEEDED'")
                        >= paced,
                Duration.ofMinutes(5));
        List<Long> gaps = agents.drainStageGaps();
        long[] sorted = gaps.stream().mapToLong(Long::longValue).sorted().toArray();
        assertEquals("SUCCEEDED", job.get("state").asText(), job.toString());
        print("rebuild_events", job.get("eventsReplayed").asLong());
        print("rebuild_s", String.format("%.1f", seconds));
        print(
                "rebuild_events_per_s",
                String.format("%.0f", job.get("eventsReplayed").asLong() / seconds));
        print("rebuild_peak_heap_mb", job.get("peakHeapMb").asInt());
        print("rebuild_releases", job.get("releases").asLong());
        print("live_pause_ms", sorted.length == 0 ? "none" : TimeUnit.NANOSECONDS.toMillis(sorted[sorted.length - 1]));
        print(
                "live_stage_gap_p50_ms",
                sorted.length == 0 ? "none" : TimeUnit.NANOSECONDS.toMillis(sorted[sorted.length / 2]));
        print("live_samples", sorted.length);
        print("swap_pause_ms", job.get("longestPauseMs").asLong());
        print("heap_cap_mb", 64);
    }

    /**
     * The log's live part again, as the {@code copy}-th copy, at most {@code limit} events: every release and event
     * id gets a suffix, in the ids' columns and inside the stored event, so the copy replays as the original did.
     */
    private static String copyOfTheLog(int copy, long limit) {
        String suffix = "'~" + copy + "'";
        String release = "coalesce(release_id, event_id)";
        String renamed = "replace(event_id, " + release + ", " + release + " || " + suffix + ")";
        String newId = "case when " + renamed + " = event_id then event_id || " + suffix + " else " + renamed + " end";
        return "insert into event_log (event_id, type, source, release_id, subject, event_time, fields, recorded_at)"
                + " select " + newId + ", type, source, release_id || " + suffix + ", subject, event_time,"
                + " replace(replace(fields, " + release + ", " + release + " || " + suffix + "), '\"id\":\"' ||"
                + " event_id || '\"', '\"id\":\"' || (" + newId + ") || '\"'), recorded_at"
                + " from event_log where event_id not like '%~%' order by seq limit " + limit;
    }

    /** Publishes releases of every kind, all at once, until they will have written {@code events} events. */
    private void publishUntil(TestAgents agents, int events) throws Exception {
        List<Request> adds = new ArrayList<>();
        for (int i = 0; (long) published * EVENTS_PER_RELEASE < events; i++) {
            // A tenth go to the platform's own services, which queue behind each other and supersede the queued.
            String service = i % 10 == 0 ? PLATFORM.get(i / 10 % PLATFORM.size()) : "svc-" + i;
            boolean production = !BENCH && i % 50 == 3;
            Map<Task, Behaviour> behaviours = new EnumMap<>(Task.class);
            for (Task task : List.of(Task.BACKUP, Task.MIGRATION, Task.ROLLOUT, Task.VERIFICATION, Task.DECOMMISSION)) {
                behaviours.put(task, Behaviour.HEARTBEATS);
            }
            if (i % 20 == 7) {
                behaviours.put(Task.MIGRATION, Behaviour.FAIL);
            } else if (i % 20 == 11) {
                behaviours.put(Task.VERIFICATION, Behaviour.FAIL);
            }
            String id = String.format("seed-%06d", i);
            agents.expect(id, behaviours);
            adds.add(publishRequest(id, production ? "production" : "staging", service, "2." + i + ".0"));
            published++;
            if (adds.size() == 200) {
                send(adds);
                adds = new ArrayList<>();
            }
        }
        send(adds);
    }

    /** Starts a rebuild, publishes releases at a steady pace until it ends, and returns its last status. */
    private JsonNode rebuildWhilePublishing(TestAgents agents) throws Exception {
        String id = post("/api/admin/rebuild").get("id").asText();
        long interval = TimeUnit.SECONDS.toNanos(1) / PACED_PER_S;
        long next = System.nanoTime();
        long deadline = next + TimeUnit.MINUTES.toNanos(20);
        for (int i = 0; ; i++) {
            JsonNode job = get("/api/admin/rebuilds/" + id);
            if (!"RUNNING".equals(job.get("state").asText())) {
                return job;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the rebuild did not end within 20 minutes: " + job);
            }
            String release = "paced-" + id + "-" + i;
            agents.expect(release, Map.of());
            send(List.of(publishRequest(release, "staging", "paced-svc-" + i, "3." + i + ".0")));
            published++;
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
    }

    private JsonNode rebuild() throws Exception {
        String id = post("/api/admin/rebuild").get("id").asText();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
        while (System.nanoTime() < deadline) {
            JsonNode job = get("/api/admin/rebuilds/" + id);
            if (!"RUNNING".equals(job.get("state").asText())) {
                return job;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("rebuild " + id + " did not end within 20 minutes");
    }

    private static Request publishRequest(String id, String environment, String service, String version) {
        CloudEvent event = Events.of(
                        EventType.RELEASE_PUBLISHED,
                        Services.COORDINATOR,
                        new ReleasePublished(
                                environment,
                                service,
                                version,
                                "registry.local/berrys/" + service + ":" + version,
                                List.of("main"),
                                "db/migration",
                                false,
                                "ci"))
                .releaseId(id)
                .build();
        Request add = Request.cmd(Command.XADD).arg(PREFIX + Streams.COMMANDS).arg("*");
        EventCodec.toFields(event).forEach((name, value) -> add.arg(name).arg(value));
        return add;
    }

    private void send(List<Request> adds) throws Exception {
        if (!adds.isEmpty()) {
            redis.batch(adds).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /** Until every release published is in the store, none moves, and the log stopped growing. */
    private void awaitRest() throws Exception {
        long[] logged = {-1};
        waitFor(
                () -> {
                    long now = count("select count(*) from event_log");
                    boolean still = now == logged[0];
                    logged[0] = now;
                    return still
                            && count("select count(*) from releases where state in ('RUNNING', 'ROLLING_BACK',"
                                            + " 'QUEUED')")
                                    == 0
                            && count("select count(*) from releases") >= published;
                },
                Duration.ofMinutes(15));
    }

    /** Every release and stage as the projection holds them, without the times (a replay's "now" is the log's). */
    private List<String> snapshot() {
        List<String> rows = new ArrayList<>();
        query(
                "select id, environment, service, version, state, stage_index, traffic_moved, approved, reason,"
                        + " rollbacks, requested_by from releases order by id",
                rows);
        query(
                "select release_id, position, task, status, attempt, triggered_event_id, message from stages"
                        + " order by release_id, position",
                rows);
        return rows;
    }

    /** Equal lists, reported by size and first difference rather than 100,000 lines. */
    private static void assertSame(List<String> expected, List<String> actual) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            assertEquals(expected.get(i), actual.get(i), "row " + i + " of the projection differs");
        }
        assertEquals(expected.size(), actual.size(), "rows in the projection");
    }

    private String states() {
        List<String> rows = new ArrayList<>();
        query("select state || ' ' || count(*) from releases group by state order by 1", rows);
        return rows.toString();
    }

    private static void query(String sql, List<String> into) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                StringBuilder row = new StringBuilder();
                for (int column = 1; column <= columns; column++) {
                    row.append(column == 1 ? "" : "|").append(rows.getString(column));
                }
                into.add(row.toString());
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(String sql) {
        List<String> rows = new ArrayList<>();
        query(sql, rows);
        return Long.parseLong(rows.get(0));
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static Connection connect() throws SQLException {
        return LocalServers.requirePostgres().connect(DATABASE);
    }

    private static void recreateDatabase() throws SQLException {
        LocalServers.Postgres server = LocalServers.requirePostgres();
        try (Connection connection = server.connect(server.database());
                Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists \"" + DATABASE + "\" with (force)");
            statement.execute("create database \"" + DATABASE + "\"");
        }
    }

    private void deleteStreams() throws Exception {
        Response keys = redis.send(Request.cmd(Command.KEYS).arg(PREFIX + "*"))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        for (Response key : keys) {
            redis.send(Request.cmd(Command.DEL).arg(key.toString()))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
    }

    private JsonNode post(String path) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + path))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + path))
                        .header("Authorization", "Bearer " + token)
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private void waitFor(BooleanSupplier done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (!coordinator.isAlive()) {
                throw new IllegalStateException("the coordinator died:\n" + coordinator.log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not at rest within " + timeout + ": " + states());
            }
            Thread.sleep(1_000);
        }
    }

    private static void print(String key, Object value) {
        System.out.println(key + "=" + value);
    }
}
