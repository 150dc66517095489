package io.berrys.mesh.coordinator.store;

import static io.berrys.mesh.coordinator.store.ReleaseMapper.instant;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/** The rows of {@code rebuild_jobs}: any replica can start a rebuild, and any can report one. */
@ApplicationScoped
public class RebuildJobStore {

    private static final String COLUMNS = "id, state, phase, requested_by, started_at, updated_at, finished_at,"
            + " events_total, events_replayed, events_per_s, releases, longest_pause_ms, peak_heap_mb, message";
    private static final String ONE_RUNNING = "rebuild_jobs_one_running";

    /** Another rebuild runs; {@code running} is it. */
    public static final class AlreadyRunning extends RuntimeException {
        private final transient RebuildJob running;

        AlreadyRunning(RebuildJob running) {
            super("a rebuild is already running: " + running.id());
            this.running = running;
        }

        public RebuildJob running() {
            return running;
        }
    }

    private final Pool pool;

    public RebuildJobStore(Pool pool) {
        this.pool = pool;
    }

    /**
     * Records a new running rebuild, unless one runs already ({@link AlreadyRunning}). One that stopped reporting
     * {@code staleAfter} ago is marked failed first: its coordinator stopped.
     */
    public Uni<RebuildJob> start(String id, String requestedBy, long eventsTotal, Duration staleAfter) {
        return pool.withTransaction(connection -> expireStale(connection, staleAfter)
                        .chain(() -> connection
                                .preparedQuery("insert into rebuild_jobs (" + COLUMNS + ") values ($1, 'RUNNING',"
                                        + " 'PREPARING', $2, now(), now(), null, $3, 0, null, null, null, null, null)"
                                        + " returning " + COLUMNS)
                                .execute(Tuple.of(id, requestedBy, eventsTotal))
                                .map(rows -> of(rows.iterator().next()))))
                .onFailure(RebuildJobStore::isSecondRunning)
                .recoverWithUni(failure -> running(staleAfter).map(running -> {
                    throw running == null ? new EndedMeanwhile() : new AlreadyRunning(running);
                }))
                // The rebuild in the way ended between the insert and the look: there is room now.
                .onFailure(EndedMeanwhile.class)
                .retry()
                .atMost(3);
    }

    private static final class EndedMeanwhile extends RuntimeException {
        EndedMeanwhile() {
            super(
                    "a rebuild that was running when this one was asked for ended at the same moment",
                    null,
                    false,
                    false);
        }
    }

    /** What a running rebuild reports as it goes. */
    public Uni<Void> progress(
            String id, RebuildJob.Phase phase, long eventsReplayed, Double eventsPerSecond, Long longestPauseMs) {
        return pool.preparedQuery("update rebuild_jobs set phase = $2, events_replayed = $3, events_per_s = $4,"
                        + " longest_pause_ms = $5, updated_at = now() where id = $1 and state = 'RUNNING'")
                .execute(Tuple.of(id, phase.name(), eventsReplayed, eventsPerSecond, longestPauseMs))
                .replaceWithVoid();
    }

    /**
     * Called in the swap's transaction: fails unless the job is still running, and keeps it from being taken for
     * dead while the swap runs and just after it commits (the row is locked, then its report time is fresh). A job
     * taken for dead must not swap: another may have started in its place.
     */
    public static Uni<Void> holdForSwap(StoreTransaction store, String id) {
        return store.connection()
                .preparedQuery("update rebuild_jobs set updated_at = now() where id = $1 and state = 'RUNNING'")
                .execute(Tuple.of(id))
                .invoke(rows -> {
                    if (rows.rowCount() == 0) {
                        throw new IllegalStateException(
                                "the job was taken for dead (it stopped reporting); nothing was swapped");
                    }
                })
                .replaceWithVoid();
    }

    /** The end of a rebuild, succeeded or failed, with what it measured; a job already taken for dead stays so. */
    public Uni<Void> finish(
            String id,
            RebuildJob.State state,
            long eventsReplayed,
            Double eventsPerSecond,
            Long releases,
            Long longestPauseMs,
            Integer peakHeapMb,
            String message) {
        return pool.preparedQuery("update rebuild_jobs set state = $2, phase = 'DONE', events_replayed = $3,"
                        + " events_per_s = $4, releases = $5, longest_pause_ms = $6, peak_heap_mb = $7, message = $8,"
                        + " updated_at = now(), finished_at = now() where id = $1 and state = 'RUNNING'")
                .execute(Tuple.tuple()
                        .addValue(id)
                        .addValue(state.name())
                        .addValue(eventsReplayed)
                        .addValue(eventsPerSecond)
                        .addValue(releases)
                        .addValue(longestPauseMs)
                        .addValue(peakHeapMb)
                        .addValue(message))
                .replaceWithVoid();
    }

    /** The rebuild, or null; a running one that stopped reporting reads as failed. */
    public Uni<RebuildJob> find(String id, Duration staleAfter) {
        return expireStale(pool, staleAfter)
                .chain(() -> pool.preparedQuery("select " + COLUMNS + " from rebuild_jobs where id = $1")
                        .execute(Tuple.of(id)))
                .map(rows -> rows.size() == 0 ? null : of(rows.iterator().next()));
    }

    /** The running rebuild, or null. */
    public Uni<RebuildJob> running(Duration staleAfter) {
        return expireStale(pool, staleAfter)
                .chain(() -> pool.preparedQuery("select " + COLUMNS + " from rebuild_jobs where state = 'RUNNING'")
                        .execute())
                .map(rows -> rows.size() == 0 ? null : of(rows.iterator().next()));
    }

    private static Uni<Void> expireStale(SqlClient client, Duration staleAfter) {
        return client.preparedQuery("update rebuild_jobs set state = 'FAILED', phase = 'DONE', finished_at = now(),"
                        + " message = 'stopped reporting at ' || updated_at || ' (its coordinator stopped);"
                        + " the live projections were not touched'"
                        + " where state = 'RUNNING' and updated_at < now() - make_interval(secs => $1)")
                .execute(Tuple.of((double) staleAfter.toMillis() / 1000))
                .replaceWithVoid();
    }

    private static boolean isSecondRunning(Throwable failure) {
        return failure instanceof PgException pg && ONE_RUNNING.equals(pg.getConstraint());
    }

    private static RebuildJob of(Row row) {
        return new RebuildJob(
                row.getString("id"),
                RebuildJob.State.valueOf(row.getString("state")),
                RebuildJob.Phase.valueOf(row.getString("phase")),
                row.getString("requested_by"),
                instant(row, "started_at"),
                instant(row, "updated_at"),
                instant(row, "finished_at"),
                row.getLong("events_total"),
                row.getLong("events_replayed"),
                row.getDouble("events_per_s"),
                row.getLong("releases"),
                row.getLong("longest_pause_ms"),
                row.getInteger("peak_heap_mb"),
                row.getString("message"));
    }
}
