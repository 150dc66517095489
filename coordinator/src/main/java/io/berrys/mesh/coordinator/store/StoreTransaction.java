package io.berrys.mesh.coordinator.store;

import static io.berrys.mesh.coordinator.store.ReleaseMapper.instant;
import static io.berrys.mesh.coordinator.store.ReleaseMapper.timestamp;

import io.berrys.mesh.coordinator.pipeline.Pipeline;
import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.store.ReleaseMapper.ReleaseRow;
import io.berrys.mesh.coordinator.store.ReleaseMapper.StageRow;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One transaction on the release store. A release read here is read once: asking again returns the same object, so
 * several events of a group change one release in turn. Changed releases are written back, version-checked, before
 * any query that selects releases by their columns and at the end; log, outbox and audit rows are only ever
 * inserted, so they are written in batches at the end.
 */
public final class StoreTransaction {

    private static final String EVENT_COLUMNS =
            "seq, event_id, type, source, release_id, subject, event_time, fields, recorded_at";

    /** A release this transaction read or created, as it was last written, and where a decision left it. */
    static final class Tracked {
        final Release release;
        /** Null until the release is first written. */
        Long version;

        ReleaseRow storedRow;
        List<StageRow> storedStages;
        Pipeline pipeline;

        Tracked(Release release, Long version, ReleaseRow storedRow, List<StageRow> storedStages) {
            this.release = release;
            this.version = version;
            this.storedRow = storedRow;
            this.storedStages = storedStages;
        }
    }

    private final SqlConnection connection;
    private final ProjectionTables tables;
    /** Set in a rebuild: the slot queries are answered from it, and no slot lock is needed. */
    private final ReplayState replayState;

    /** Per transaction; in a rebuild, the rebuild's cache, which outlives its transactions. */
    private final Map<String, Tracked> releases;
    /** Ids read and not found, so that asking again costs no query; a release added here leaves it. */
    private final Set<String> absent = new HashSet<>();

    private final List<EventLogEntry> logged = new ArrayList<>();
    private final List<OutboxEntry> outbox = new ArrayList<>();
    private final List<AuditEntry> audit = new ArrayList<>();

    StoreTransaction(SqlConnection connection) {
        this(connection, ProjectionTables.LIVE, null);
    }

    /** A transaction of a rebuild: it reads and writes {@code tables} and keeps {@code replayState} up to date. */
    StoreTransaction(SqlConnection connection, ProjectionTables tables, ReplayState replayState) {
        this.connection = connection;
        this.tables = tables;
        this.replayState = replayState;
        this.releases = replayState == null ? new LinkedHashMap<>() : replayState.cache();
    }

    /** The connection of this transaction, for the rebuild's own statements. */
    SqlConnection connection() {
        return connection;
    }

    // ---- releases

    /** The release, or null when there is none. */
    public Uni<Release> release(String id) {
        return prefetch(List.of(id)).map(ignored -> {
            Tracked tracked = releases.get(id);
            return tracked == null ? null : tracked.release;
        });
    }

    /** Reads these releases (with their stages) in two queries, so later lookups find them here. */
    public Uni<Void> prefetch(Collection<String> ids) {
        List<String> missing = ids.stream()
                .filter(id -> !releases.containsKey(id) && !absent.contains(id))
                .toList();
        if (missing.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return read("id = any($1)", Tuple.of(missing.toArray(String[]::new)), "")
                .invoke(() ->
                        missing.stream().filter(id -> !releases.containsKey(id)).forEach(absent::add))
                .replaceWithVoid();
    }

    /** A new release, inserted at the next write. */
    public void add(Release release, Pipeline pipeline) {
        Tracked tracked = new Tracked(release, null, null, List.of());
        tracked.pipeline = pipeline;
        releases.put(release.id(), tracked);
        absent.remove(release.id());
        if (replayState != null) {
            replayState.track(release);
        }
    }

    /**
     * The release changed (or may have): it is written at the next write, with the stage deadline under
     * {@code pipeline}. Only what differs from the stored rows is sent.
     */
    public void changed(Release release, Pipeline pipeline) {
        Tracked tracked = releases.get(release.id());
        if (tracked == null || tracked.release != release) {
            throw new IllegalStateException("release " + release.id() + " was not read in this transaction");
        }
        tracked.pipeline = pipeline;
        if (replayState != null) {
            replayState.track(release);
        }
    }

    /** The queued releases of one (environment, service) slot. */
    public Uni<List<Release>> queued(String environment, String service, String queuedState) {
        if (replayState != null) {
            List<String> ids = replayState.queued(environment, service);
            return prefetch(ids)
                    .map(ignored ->
                            ids.stream().map(id -> releases.get(id).release).toList());
        }
        return select(
                "environment = $1 and service = $2 and state = $3",
                Tuple.of(environment, service, queuedState),
                " order by created_at");
    }

    /** The oldest queued release of the slot, if no release of the slot is in one of {@code activeStates}. */
    public Uni<Release> nextAdmissible(
            String environment, String service, String queuedState, List<String> activeStates) {
        if (replayState != null) {
            return replayState
                    .nextAdmissible(environment, service)
                    .map(this::release)
                    .orElseGet(() -> Uni.createFrom().nullItem());
        }
        return select(
                        "environment = $1 and service = $2 and state = $3 and not exists (" + tables.activeInSlot
                                + " where a.environment = $1 and a.service = $2 and a.state = any($4))",
                        Tuple.of(environment, service, queuedState, activeStates.toArray(String[]::new)),
                        " order by created_at limit 1")
                .map(found -> found.isEmpty() ? null : found.get(0));
    }

    /** Releases whose open stage fell overdue before {@code now}. */
    public Uni<List<Release>> overdueStages(Instant now) {
        return select("stage_deadline < $1", Tuple.of(timestamp(now)), "");
    }

    /** Releases in {@code state} not changed since {@code before}. */
    public Uni<List<Release>> unchangedSince(String state, Instant before) {
        return select("state = $1 and updated_at < $2", Tuple.of(state, timestamp(before)), "");
    }

    public Uni<List<Release>> inState(String state) {
        return select("state = $1", Tuple.of(state), " order by created_at");
    }

    /** One page of releases, newest first; {@code where} uses $1, $2... for {@code parameters}. */
    public Uni<List<Release>> page(String where, List<Object> parameters, int page, int size) {
        Tuple tuple = Tuple.tuple();
        parameters.forEach(tuple::addValue);
        int limit = parameters.size() + 1;
        tuple.addValue(size).addValue((long) page * size);
        return select(
                where.isEmpty() ? "true" : where,
                tuple,
                " order by created_at desc limit $" + limit + " offset $" + (limit + 1));
    }

    public Uni<Long> countReleases() {
        return count("true", Tuple.tuple());
    }

    public Uni<Long> countReleases(String state) {
        return count("state = $1", Tuple.of(state));
    }

    private Uni<Long> count(String where, Tuple parameters) {
        return write(true)
                .chain(() -> connection
                        .preparedQuery(tables.countReleases + where)
                        .execute(parameters)
                        .map(rows -> rows.iterator().next().getLong(0)));
    }

    /**
     * Releases matching {@code where}, after writing what changed: the query then sees this transaction's own
     * changes, and a release it returns that this transaction already holds is the same object, changes and all.
     */
    private Uni<List<Release>> select(String where, Tuple parameters, String orderAndLimit) {
        return write(true).chain(() -> read(where, parameters, orderAndLimit));
    }

    /**
     * Releases matching {@code where} with their stages, each read once: one this transaction already holds keeps
     * its object. Only for selecting by id, which a change cannot make match or stop matching.
     */
    private Uni<List<Release>> read(String where, Tuple parameters, String orderAndLimit) {
        return connection
                .preparedQuery(tables.selectReleases + where + orderAndLimit)
                .execute(parameters)
                .chain(rows -> {
                    List<Row> found = new ArrayList<>();
                    rows.forEach(found::add);
                    List<String> unknown = found.stream()
                            .map(row -> row.getString("id"))
                            .filter(id -> !releases.containsKey(id))
                            .toList();
                    Uni<Map<String, List<StageRow>>> stages =
                            unknown.isEmpty() ? Uni.createFrom().item(Map.of()) : stagesOf(unknown);
                    return stages.map(byRelease -> {
                        List<Release> result = new ArrayList<>(found.size());
                        for (Row row : found) {
                            String id = row.getString("id");
                            Tracked tracked = releases.get(id);
                            if (tracked == null) {
                                ReleaseRow stored = ReleaseRow.of(row);
                                List<StageRow> storedStages = byRelease.getOrDefault(id, List.of());
                                tracked = new Tracked(
                                        ReleaseMapper.toDomain(stored, storedStages),
                                        row.getLong("lock_version"),
                                        stored,
                                        storedStages);
                                releases.put(id, tracked);
                            }
                            result.add(tracked.release);
                        }
                        return result;
                    });
                });
    }

    private Uni<Map<String, List<StageRow>>> stagesOf(List<String> releaseIds) {
        return connection
                .preparedQuery(tables.selectStages)
                .execute(Tuple.of(releaseIds.toArray(String[]::new)))
                .map(rows -> {
                    Map<String, List<StageRow>> byRelease = new HashMap<>();
                    for (Row row : rows) {
                        StageRow stage = StageRow.of(row);
                        byRelease
                                .computeIfAbsent(stage.releaseId(), id -> new ArrayList<>())
                                .add(stage);
                    }
                    return byRelease;
                });
    }

    /**
     * Writes every changed release: a new one is inserted, a stored one updated only if its version is still the
     * one read (otherwise {@link ConcurrentUpdateException}, and the caller's retry starts over), and of its
     * stages only those that differ.
     */
    private Uni<Void> write(boolean everything) {
        Set<Tracked> leaving = replayState == null ? Set.of() : leavingTheCache();
        List<Tuple> inserts = new ArrayList<>();
        List<Tuple> updates = new ArrayList<>();
        List<Tracked> updated = new ArrayList<>();
        List<Tuple> stageWrites = new ArrayList<>();
        List<Runnable> afterWrite = new ArrayList<>();
        for (Tracked tracked : releases.values()) {
            if (tracked.pipeline == null || !(everything || leaving.contains(tracked))) {
                continue;
            }
            ReleaseRow row = ReleaseMapper.row(tracked.release, tracked.pipeline);
            List<StageRow> stages = ReleaseMapper.stageRows(tracked.release);
            List<StageRow> changedStages = new ArrayList<>();
            for (StageRow stage : stages) {
                int position = stage.position();
                StageRow stored = position < tracked.storedStages.size() ? tracked.storedStages.get(position) : null;
                if (!stage.equals(stored)) {
                    changedStages.add(stage);
                }
            }
            if (row.equals(tracked.storedRow) && changedStages.isEmpty()) {
                continue;
            }
            if (tracked.version == null) {
                inserts.add(row.tuple());
            } else {
                // The release row is written for a stage change too: its version guards the stages as well.
                updates.add(row.tuple().addValue(tracked.version));
                updated.add(tracked);
            }
            changedStages.forEach(stage -> stageWrites.add(stage.tuple()));
            afterWrite.add(() -> {
                tracked.version = tracked.version == null ? 0L : tracked.version + 1;
                tracked.storedRow = row;
                tracked.storedStages = stages;
            });
        }
        leaving.forEach(tracked -> afterWrite.add(() -> releases.remove(tracked.release.id())));
        if (inserts.isEmpty() && updates.isEmpty()) {
            afterWrite.forEach(Runnable::run);
            return Uni.createFrom().voidItem();
        }
        return unnest(tables.releaseInsert, inserts, ProjectionTables.RELEASE_TYPES)
                .chain(() -> updates.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : connection
                                .preparedQuery(tables.releaseUpdate)
                                .execute(ColumnArrays.of(updates, ProjectionTables.VERSIONED_RELEASE_TYPES))
                                .invoke(result -> checkVersions(result, updated))
                                .replaceWithVoid())
                .chain(() -> unnest(tables.stageUpsert, stageWrites, ProjectionTables.STAGE_TYPES))
                .invoke(() -> afterWrite.forEach(Runnable::run));
    }

    /**
     * In a rebuild, the releases its cache lets go of at this write: the finished ones, which rarely hear of again,
     * and the least recently used beyond the cache's limit. The others stay unwritten until they leave or the
     * rebuild writes everything before it swaps: nobody else reads its tables.
     */
    private Set<Tracked> leavingTheCache() {
        Set<Tracked> leaving = new HashSet<>();
        int over = releases.size() - replayState.cacheLimit();
        for (Tracked tracked : releases.values()) {
            if (tracked.release.state().isTerminal() || over > 0) {
                leaving.add(tracked);
                over--;
            }
        }
        return leaving;
    }

    /** Every release updated must be among those the update returned: another writer moved any other one. */
    private static void checkVersions(RowSet<Row> result, List<Tracked> updated) {
        Set<String> written = new HashSet<>();
        result.forEach(row -> written.add(row.getString(0)));
        for (Tracked tracked : updated) {
            if (!written.contains(tracked.release.id())) {
                throw new ConcurrentUpdateException(tracked.release.id(), tracked.version);
            }
        }
    }

    /** One statement over the rows' columns as arrays. */
    private Uni<Void> unnest(String sql, List<Tuple> rows, List<ColumnArrays.Type> types) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection
                .preparedQuery(sql)
                .execute(ColumnArrays.of(rows, types))
                .replaceWithVoid();
    }

    private Uni<Void> batch(String sql, List<Tuple> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery(sql).executeBatch(rows).replaceWithVoid();
    }

    // ---- the event log, the outbox and the audit trail

    /** Which of these event ids the log already holds. */
    public Uni<Set<String>> loggedAmong(Collection<String> eventIds) {
        return connection
                .preparedQuery("select event_id from event_log where event_id = any($1)")
                .execute(Tuple.of(eventIds.toArray(String[]::new)))
                .map(rows -> {
                    Set<String> found = new HashSet<>();
                    rows.forEach(row -> found.add(row.getString(0)));
                    found.addAll(logged.stream().map(EventLogEntry::eventId).toList());
                    found.retainAll(Set.copyOf(eventIds));
                    return found;
                });
    }

    public void log(EventLogEntry entry) {
        logged.add(entry);
    }

    public void outbox(OutboxEntry entry) {
        outbox.add(entry);
    }

    public void audit(AuditEntry entry) {
        audit.add(entry);
    }

    /** The log of one release after {@code afterSeq}, in order. */
    public Uni<List<EventLogEntry>> eventsOf(String releaseId, long afterSeq) {
        return events("release_id = $1 and seq > $2", Tuple.of(releaseId, afterSeq), "");
    }

    /** Up to {@code limit} entries of the log after {@code afterSeq}, in order. */
    public Uni<List<EventLogEntry>> logPage(long afterSeq, int limit) {
        return events("seq > $1", Tuple.of(afterSeq), " limit " + limit);
    }

    /** The entries of the log with these sequence numbers, in order. */
    public Uni<List<EventLogEntry>> logEntries(List<Long> seqs) {
        return events("seq = any($1)", Tuple.of(seqs.toArray(Long[]::new)), "");
    }

    /** How many entries the log holds up to {@code seq}. */
    public Uni<Long> countLogUpTo(long seq) {
        return connection
                .preparedQuery("select count(*) from event_log where seq <= $1")
                .execute(Tuple.of(seq))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Up to {@code limit} sequence numbers of the log in ({@code after}, {@code upTo}], in order. */
    public Uni<List<Long>> logSeqs(long after, long upTo, int limit) {
        return connection
                .preparedQuery("select seq from event_log where seq > $1 and seq <= $2 order by seq limit $3")
                .execute(Tuple.of(after, upTo, limit))
                .map(rows -> {
                    List<Long> seqs = new ArrayList<>(rows.size());
                    rows.forEach(row -> seqs.add(row.getLong(0)));
                    return seqs;
                });
    }

    private Uni<List<EventLogEntry>> events(String where, Tuple parameters, String limit) {
        return connection
                .preparedQuery("select " + EVENT_COLUMNS + " from event_log where " + where + " order by seq" + limit)
                .execute(parameters)
                .map(rows -> {
                    List<EventLogEntry> entries = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        entries.add(new EventLogEntry(
                                row.getLong("seq"),
                                row.getString("event_id"),
                                row.getString("type"),
                                row.getString("source"),
                                row.getString("release_id"),
                                row.getString("subject"),
                                instant(row, "event_time"),
                                row.getString("fields"),
                                instant(row, "recorded_at")));
                    }
                    return entries;
                });
    }

    /** Outbox entries not marked sent and older than {@code before}, oldest first. */
    public Uni<List<OutboxEntry>> unsent(Instant before, int limit) {
        return connection
                .preparedQuery("select event_id, fields, created_at from outbox"
                        + " where sent_at is null and created_at < $1 order by id limit $2")
                .execute(Tuple.of(timestamp(before), limit))
                .map(rows -> {
                    List<OutboxEntry> entries = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        entries.add(new OutboxEntry(
                                row.getString("event_id"), row.getString("fields"), instant(row, "created_at")));
                    }
                    return entries;
                });
    }

    /**
     * Commands of open stages whose owner has not said {@code started} since before {@code before}, last sent before
     * it too and sent again fewer than {@code maxResends} times: marked unsent, so that the relay sends them again.
     * Answers their event ids.
     */
    public Uni<List<String>> reopenUnanswered(Instant before, int maxResends) {
        return connection
                .preparedQuery("update outbox o set sent_at = null, resends = o.resends + 1 from " + tables.stages
                        + " s where s.status = 'TRIGGERED' and s.triggered_at < $1"
                        + " and o.event_id = s.triggered_event_id and o.sent_at < $1 and o.resends < $2"
                        + " returning o.event_id")
                .execute(Tuple.of(timestamp(before), maxResends))
                .map(rows -> {
                    List<String> ids = new ArrayList<>(rows.size());
                    rows.forEach(row -> ids.add(row.getString(0)));
                    return ids;
                });
    }

    public Uni<Integer> markSent(List<String> eventIds, Instant at) {
        return connection
                .preparedQuery("update outbox set sent_at = $1 where event_id = any($2) and sent_at is null")
                .execute(Tuple.of(timestamp(at), eventIds.toArray(String[]::new)))
                .map(RowSet::rowCount);
    }

    // ---- locks and maintenance

    /** Serialises the transactions that fill or free one slot, across replicas, until this one ends. */
    public Uni<Void> lockSlot(String slot) {
        if (replayState != null) {
            return Uni.createFrom().voidItem();
        }
        // Another replica may have added a release read as absent before the lock; the next read must see it.
        absent.clear();
        return connection
                .preparedQuery("select pg_advisory_xact_lock(hashtext($1))")
                .execute(Tuple.of(slot))
                .replaceWithVoid();
    }

    /** Writes everything this transaction decided; {@link Transactions} calls it before the commit. */
    Uni<Void> flush() {
        return write(replayState == null).chain(this::writeInserts);
    }

    /**
     * Writes everything this transaction (in a rebuild: the rebuild so far) decided, the releases in a rebuild's cache
     * included: before the swap, so that the swap, which holds the live tables, has little left to write.
     */
    public Uni<Void> flushEverything() {
        return write(true).chain(this::writeInserts);
    }

    private Uni<Void> writeInserts() {
        List<Tuple> events = logged.stream()
                .map(entry -> Tuple.tuple()
                        .addValue(entry.eventId())
                        .addValue(entry.type())
                        .addValue(entry.source())
                        .addValue(entry.releaseId())
                        .addValue(entry.subject())
                        .addValue(timestamp(entry.eventTime()))
                        .addValue(entry.fields())
                        .addValue(timestamp(entry.recordedAt())))
                .toList();
        List<Tuple> sent = outbox.stream()
                .map(entry -> Tuple.of(entry.eventId(), entry.fields(), timestamp(entry.createdAt())))
                .toList();
        List<Tuple> trail = audit.stream()
                .map(entry -> Tuple.of(
                        entry.releaseId(), entry.actor(), entry.action(), entry.detail(), timestamp(entry.at())))
                .toList();
        logged.clear();
        outbox.clear();
        audit.clear();
        return batch(
                        "insert into event_log (event_id, type, source, release_id, subject, event_time, fields,"
                                + " recorded_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                        events)
                .chain(() -> batch("insert into outbox (event_id, fields, created_at) values ($1, $2, $3)", sent))
                .chain(() -> batch(
                        "insert into audit (release_id, actor, action, detail, at) values ($1, $2, $3, $4, $5)",
                        trail));
    }
}
