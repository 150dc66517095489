package io.berrys.mesh.coordinator.store;

import static io.berrys.mesh.coordinator.store.ColumnArrays.Type.BIGINT;
import static io.berrys.mesh.coordinator.store.ColumnArrays.Type.BOOL;
import static io.berrys.mesh.coordinator.store.ColumnArrays.Type.INT;
import static io.berrys.mesh.coordinator.store.ColumnArrays.Type.TEXT;
import static io.berrys.mesh.coordinator.store.ColumnArrays.Type.TIMESTAMPTZ;
import static io.berrys.mesh.coordinator.store.ReleaseMapper.RELEASE_COLUMNS;
import static io.berrys.mesh.coordinator.store.ReleaseMapper.STAGE_COLUMNS;

import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The two tables a projection of the event log lives in, with the statements that read and write them. The live
 * projection is {@link #LIVE}; a rebuild fills {@link #REBUILD} beside it and swaps the two at the end.
 */
public final class ProjectionTables {

    /** The types of {@link ReleaseMapper#RELEASE_COLUMNS} without the lock version, as a row's tuple holds them. */
    static final List<ColumnArrays.Type> RELEASE_TYPES = List.of(
            TEXT,
            TEXT,
            TEXT,
            TEXT,
            TEXT,
            TEXT,
            TEXT,
            BOOL,
            TEXT,
            TEXT,
            INT,
            BOOL,
            BOOL,
            TEXT,
            INT,
            TIMESTAMPTZ,
            TIMESTAMPTZ,
            TIMESTAMPTZ,
            TIMESTAMPTZ);
    /** The same with the lock version an update expects to find. */
    static final List<ColumnArrays.Type> VERSIONED_RELEASE_TYPES =
            Stream.concat(RELEASE_TYPES.stream(), Stream.of(BIGINT)).toList();
    /** The types of {@link ReleaseMapper#STAGE_COLUMNS}. */
    static final List<ColumnArrays.Type> STAGE_TYPES =
            List.of(TEXT, INT, TEXT, TEXT, INT, TEXT, TIMESTAMPTZ, TIMESTAMPTZ, TIMESTAMPTZ, TIMESTAMPTZ, TEXT);

    public static final ProjectionTables LIVE = new ProjectionTables("releases", "stages");
    /** What the shadow tables of every rebuild are named after, for finding those a dead rebuild left. */
    static final String SHADOW_PREFIX = "_rebuild_";

    /**
     * The shadow tables of one rebuild, named after it: a rebuild taken for dead that still runs somewhere writes
     * its own tables, never those of the rebuild that replaced it.
     */
    public static ProjectionTables shadowOf(String rebuildId) {
        String suffix = rebuildId
                .substring(rebuildId.lastIndexOf('-') + 1)
                .replaceAll("[^A-Za-z0-9]", "")
                .toLowerCase(Locale.ROOT);
        return new ProjectionTables("releases" + SHADOW_PREFIX + suffix, "stages" + SHADOW_PREFIX + suffix);
    }

    final String releases;
    final String stages;
    final String stageUpsert;
    final String releaseInsert;
    final String releaseUpdate;
    final String selectReleases;
    final String selectStages;
    final String countReleases;
    final String activeInSlot;

    private ProjectionTables(String releases, String stages) {
        this.releases = releases;
        this.stages = stages;
        stageUpsert = "insert into " + stages + " (" + STAGE_COLUMNS + ") select * from "
                + ColumnArrays.unnest(STAGE_TYPES)
                + " on conflict (release_id, position) do update set task = excluded.task, status = excluded.status,"
                + " attempt = excluded.attempt, triggered_event_id = excluded.triggered_event_id,"
                + " triggered_at = excluded.triggered_at, started_at = excluded.started_at,"
                + " last_activity_at = excluded.last_activity_at, finished_at = excluded.finished_at,"
                + " message = excluded.message";
        releaseInsert = "insert into " + releases + " (" + RELEASE_COLUMNS + ") select *, 0 from "
                + ColumnArrays.unnest(RELEASE_TYPES);
        releaseUpdate = "update " + releases + " r set environment = u.environment, service = u.service,"
                + " version = u.version, image = u.image, databases = u.databases, migrations = u.migrations,"
                + " requires_downtime = u.requires_downtime, requested_by = u.requested_by, state = u.state,"
                + " stage_index = u.stage_index, traffic_moved = u.traffic_moved, approved = u.approved,"
                + " reason = u.reason, rollbacks = u.rollbacks, announced_opening = u.announced_opening,"
                + " created_at = u.created_at, updated_at = u.updated_at, stage_deadline = u.stage_deadline,"
                + " lock_version = r.lock_version + 1 from " + ColumnArrays.unnest(VERSIONED_RELEASE_TYPES)
                + " as u(" + ColumnArrays.names(RELEASE_COLUMNS) + ")"
                + " where r.id = u.id and r.lock_version = u.lock_version returning r.id";
        selectReleases = "select " + RELEASE_COLUMNS + " from " + releases + " where ";
        selectStages = "select " + STAGE_COLUMNS + " from " + stages + " where release_id = any($1)"
                + " order by release_id, position";
        countReleases = "select count(*) from " + releases + " where ";
        activeInSlot = "select 1 from " + releases + " a";
    }

    public String releases() {
        return releases;
    }

    public String stages() {
        return stages;
    }
}
