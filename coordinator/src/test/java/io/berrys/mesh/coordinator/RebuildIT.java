package io.berrys.mesh.coordinator;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rebuild as a job: 202 with a status resource, one at a time across replicas, a dead one taken as failed, and
 * live tables swapped in under the names the code relies on. That rebuilt projections equal the live ones is shown
 * by {@code ReleasePipelineIT} here and, at 100,000 events under the shipped JVM options, by the system tests.
 */
@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class RebuildIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Starts a rebuild, follows its status resource to the end and returns its last status. */
    static Map<String, Object> rebuildAndWait() {
        Response started = Api.asAdmin().when().post("/api/admin/rebuild");
        started.then().statusCode(202).body("state", equalTo("RUNNING")).body("id", startsWith("rebuild-"));
        String location = started.header("Location");
        assertTrue(location.endsWith("/api/admin/rebuilds/" + started.path("id")), location);
        return await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () -> Api.asAdmin()
                                .get(location)
                                .then()
                                .statusCode(200)
                                .extract()
                                .jsonPath()
                                .<String, Object>getMap(""),
                        status -> !"RUNNING".equals(status.get("state")));
    }

    @Test
    void aRebuildIsAJobThatReportsWhatItDid() {
        Map<String, Object> done = rebuildAndWait();
        assertEquals("SUCCEEDED", done.get("state"), done.toString());
        assertEquals("DONE", done.get("phase"), done.toString());
        assertTrue(
                ((Number) done.get("eventsReplayed")).longValue() >= ((Number) done.get("eventsTotal")).longValue(),
                done.toString());
        assertTrue(done.get("longestPauseMs") != null && done.get("peakHeapMb") != null, done.toString());
    }

    @Test
    void theSwappedTablesKeepTheLiveNames() throws SQLException {
        List<String> before = schema();
        Map<String, Object> done = rebuildAndWait();
        assertEquals("SUCCEEDED", done.get("state"), done.toString());
        assertEquals(before, schema());
    }

    @Test
    void oneRebuildRunsAtATimeAndADeadOneIsTakenAsFailed() throws SQLException {
        String other = "rebuild-elsewhere";
        execute("create table releases_rebuild_elsewhere (like releases)");
        execute("insert into rebuild_jobs (id, state, phase, requested_by, started_at, updated_at, events_total,"
                + " events_replayed) values ('" + other
                + "', 'RUNNING', 'REPLAYING', 'operator', now(), now(), 10, 5)");
        try {
            Api.asAdmin()
                    .when()
                    .post("/api/admin/rebuild")
                    .then()
                    .statusCode(409)
                    .header("Location", endsWith("/api/admin/rebuilds/" + other))
                    .body("error", containsString("already running: " + other));
            // Its coordinator stopped: no report for longer than stale-after.
            execute("update rebuild_jobs set updated_at = now() - interval '2 minutes' where id = '" + other + "'");
            Map<String, Object> done = rebuildAndWait();
            assertEquals("SUCCEEDED", done.get("state"), done.toString());
            Api.asAdmin()
                    .get("/api/admin/rebuilds/" + other)
                    .then()
                    .statusCode(200)
                    .body("state", equalTo("FAILED"))
                    .body("message", containsString("stopped reporting"));
            assertEquals(List.of(), shadowTables(), "the dead rebuild's shadow tables are dropped");
        } finally {
            execute("delete from rebuild_jobs where id = '" + other + "'");
            execute("drop table if exists releases_rebuild_elsewhere");
        }
    }

    @Test
    void onlyAnAdminOfEveryEnvironmentRebuilds() {
        Api.as(Api.STAGING_DEPLOYER).when().post("/api/admin/rebuild").then().statusCode(403);
        Api.as(Api.VIEWER).when().get("/api/admin/rebuilds/rebuild-x").then().statusCode(403);
        Api.asAdmin()
                .when()
                .get("/api/admin/rebuilds/rebuild-unknown")
                .then()
                .statusCode(404)
                .body("error", equalTo("no rebuild rebuild-unknown"));
    }

    @Test
    void aRebuildTakenForDeadDoesNotSwap() throws SQLException {
        long liveReleases = oid("releases");
        String id;
        try (Connection holder = connect();
                Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            // Keeps the swap waiting for its locks, attempt after attempt.
            statement.execute("lock table releases in share mode");
            Response started = Api.asAdmin().when().post("/api/admin/rebuild");
            started.then().statusCode(202);
            id = started.path("id");
            await().atMost(WAIT)
                    .until(() -> Api.asAdmin()
                            .get("/api/admin/rebuilds/" + id)
                            .then()
                            .extract()
                            .path("phase")
                            .equals("SWAPPING"));
            // Taken for dead meanwhile, as by a replica that found it silent; waits for the attempt holding its row.
            execute("update rebuild_jobs set state = 'FAILED', phase = 'DONE', finished_at = now(),"
                    + " message = 'stopped reporting (taken for dead by the test)' where id = '" + id + "'");
            holder.commit();
        }
        await().atMost(WAIT).until(() -> shadowTables().isEmpty());
        assertEquals(liveReleases, oid("releases"), "the live table was not swapped");
        Api.asAdmin()
                .get("/api/admin/rebuilds/" + id)
                .then()
                .statusCode(200)
                .body("state", equalTo("FAILED"))
                .body("message", equalTo("stopped reporting (taken for dead by the test)"));
    }

    private static long oid(String table) throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select '" + table + "'::regclass::oid::bigint")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static List<String> shadowTables() throws SQLException {
        List<String> found = new ArrayList<>();
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select tablename from pg_tables where tablename like"
                        + " 'releases\\_rebuild\\_%' or tablename like 'stages\\_rebuild\\_%'")) {
            while (rows.next()) {
                found.add(rows.getString(1));
            }
        }
        return found;
    }

    /** Tables, indexes and constraints of the projection, by name and definition. */
    private static List<String> schema() throws SQLException {
        List<String> found = new ArrayList<>();
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select indexname || ': ' || indexdef from pg_indexes"
                        + " where tablename in ('releases', 'stages') union all"
                        + " select conname || ': ' || pg_get_constraintdef(oid) from pg_constraint"
                        + " where conrelid in ('releases'::regclass, 'stages'::regclass) union all"
                        + " select table_name || '.' || column_name || ' ' || data_type || ' ' ||"
                        + " coalesce(column_default, '') from information_schema.columns"
                        + " where table_name like 'releases%' or table_name like 'stages%'"
                        + " order by 1")) {
            while (rows.next()) {
                found.add(rows.getString(1));
            }
        }
        return found;
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static Connection connect() throws SQLException {
        LocalServers.Postgres server = LocalServers.requirePostgres();
        return server.connect(server.database() + "_test");
    }
}
