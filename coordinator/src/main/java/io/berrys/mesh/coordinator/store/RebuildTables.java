package io.berrys.mesh.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements of a rebuild that work on tables rather than rows: shadow tables made like the live ones, the
 * locks that stop live writers for the swap, and the swap itself, which renames the shadow tables and their
 * indexes and constraints to the live names, so that statements and constraint names the code relies on
 * ({@code releases_pkey}) stay as they were.
 */
public final class RebuildTables {

    private static final ProjectionTables LIVE = ProjectionTables.LIVE;
    /** A LIKE pattern for the shadow table names after "releases" or "stages", with its underscores literal. */
    private static final String SHADOW_PATTERN = ProjectionTables.SHADOW_PREFIX.replace("_", "\\_") + "%";

    /** PostgreSQL's lock_not_available: the swap's lock waited longer than its timeout. */
    public static final String LOCK_NOT_AVAILABLE = "55P03";

    private RebuildTables() {}

    /**
     * Empty shadow tables with the live tables' columns, defaults, checks and indexes, and the stages' key. Shadow
     * tables of other rebuilds are dropped first: only one rebuild runs, so they belong to dead ones.
     */
    public static Uni<Void> create(StoreTransaction store, ProjectionTables shadow) {
        SqlConnection connection = store.connection();
        return connection
                .query("select tablename from pg_tables where schemaname = current_schema() and (tablename like"
                        + " 'releases" + SHADOW_PATTERN + "' or tablename like 'stages" + SHADOW_PATTERN + "')"
                        + " order by tablename desc")
                .execute()
                .chain(leftovers -> {
                    List<String> statements = new ArrayList<>();
                    // Stages first: they reference their releases.
                    leftovers.forEach(row -> statements.add("drop table if exists " + row.getString(0) + " cascade"));
                    statements.add("create table " + shadow.releases + " (like " + LIVE.releases + " including all)");
                    statements.add("create table " + shadow.stages + " (like " + LIVE.stages + " including all)");
                    statements.add("alter table " + shadow.stages + " add foreign key (release_id) references "
                            + shadow.releases + " (id) on delete cascade");
                    return run(connection, statements);
                });
    }

    /** Drops what a rebuild that did not finish left behind. */
    public static Uni<Void> drop(StoreTransaction store, ProjectionTables shadow) {
        return run(store.connection(), List.of("drop table if exists " + shadow.stages + ", " + shadow.releases));
    }

    /**
     * Stops every live writer and reader of the projection, and every writer of the log, until the transaction
     * ends; gives up with {@link #LOCK_NOT_AVAILABLE} after {@code timeout}, so that a long transaction ahead does
     * not keep the whole coordinator queued behind the rebuild's request. The projection is locked before the log:
     * a live transaction writes the log last, so one that holds the log holds nothing of the projection.
     */
    public static Uni<Void> lockLive(StoreTransaction store, Duration timeout) {
        return run(
                store.connection(),
                List.of(
                        "set local lock_timeout = " + Math.max(1, timeout.toMillis()),
                        "lock table " + LIVE.releases + ", " + LIVE.stages + " in access exclusive mode",
                        "lock table event_log in exclusive mode",
                        "set local lock_timeout = 0"));
    }

    /** How many entries the log holds. */
    public static Uni<Long> countLog(StoreTransaction store) {
        return store.connection()
                .query("select count(*) from event_log")
                .execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /**
     * Writes what the transaction decided into the shadow tables, then puts them in the live tables' place under
     * the live names. Run under {@link #lockLive}.
     */
    public static Uni<Void> swap(StoreTransaction store, ProjectionTables shadow) {
        SqlConnection connection = store.connection();
        return store.flushEverything()
                .chain(() -> connection
                        .query("select c.relname as owner, i.relname as name, pg_get_indexdef(i.oid) as definition"
                                + " from pg_index x join pg_class i on i.oid = x.indexrelid"
                                + " join pg_class c on c.oid = x.indrelid"
                                + " where c.relnamespace = current_schema()::regnamespace and c.relname in ('"
                                + LIVE.releases + "', '" + LIVE.stages + "', '" + shadow.releases + "', '"
                                + shadow.stages + "')")
                        .execute())
                .chain(indexes -> connection
                        .query("select r.relname as owner, c.conname as name from pg_constraint c"
                                + " join pg_class r on r.oid = c.conrelid where c.contype = 'f'"
                                + " and r.relnamespace = current_schema()::regnamespace and r.relname in ('"
                                + LIVE.stages + "', '" + shadow.stages + "')")
                        .execute()
                        .map(keys -> renames(indexes, keys, shadow)))
                .chain(renames -> {
                    List<String> statements = new ArrayList<>();
                    statements.add("drop table " + LIVE.stages);
                    statements.add("drop table " + LIVE.releases);
                    statements.add("alter table " + shadow.releases + " rename to " + LIVE.releases);
                    statements.add("alter table " + shadow.stages + " rename to " + LIVE.stages);
                    statements.addAll(renames);
                    return run(connection, statements);
                });
    }

    /**
     * The renames that give the shadow tables' indexes and foreign key the live names. Indexes are matched by their
     * definition (method, columns, predicate); a live index without a shadow twin fails the swap before anything
     * is dropped.
     */
    private static List<String> renames(
            Iterable<Row> indexes, Iterable<Row> foreignKeys, ProjectionTables shadowTables) {
        Map<String, String> live = new HashMap<>();
        Map<String, String> shadow = new HashMap<>();
        for (Row index : indexes) {
            String owner = index.getString("owner");
            String definition = index.getString("definition");
            String shape = definition.substring(definition.indexOf(" USING "));
            if (owner.equals(LIVE.releases) || owner.equals(LIVE.stages)) {
                live.put(owner + shape, index.getString("name"));
            } else {
                shadow.put(
                        (owner.equals(shadowTables.releases) ? LIVE.releases : LIVE.stages) + shape,
                        index.getString("name"));
            }
        }
        if (!live.keySet().equals(shadow.keySet())) {
            throw new IllegalStateException("the rebuilt tables' indexes " + shadow.keySet()
                    + " differ from the live ones " + live.keySet() + "; nothing was swapped");
        }
        List<String> statements = new ArrayList<>();
        live.forEach((shape, name) -> statements.add("alter index " + shadow.get(shape) + " rename to " + name));
        String liveKey = null;
        String shadowKey = null;
        for (Row key : foreignKeys) {
            if (key.getString("owner").equals(LIVE.stages)) {
                liveKey = key.getString("name");
            } else {
                shadowKey = key.getString("name");
            }
        }
        if (liveKey != null && shadowKey != null) {
            statements.add("alter table " + LIVE.stages + " rename constraint " + shadowKey + " to " + liveKey);
        }
        return statements;
    }

    private static Uni<Void> run(SqlConnection connection, List<String> statements) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String statement : statements) {
            chain = chain.chain(() -> connection.query(statement).execute().replaceWithVoid());
        }
        return chain;
    }
}
