package io.berrys.mesh.coordinator.store;

import static io.berrys.mesh.coordinator.store.ReleaseMapper.RELEASE_COLUMNS;
import static io.berrys.mesh.coordinator.store.ReleaseMapper.STAGE_COLUMNS;

/**
 * The two tables a projection of the event log lives in, with the statements that read and write them. The live
 * projection is {@link #LIVE}; a rebuild fills {@link #REBUILD} beside it and swaps the two at the end.
 */
public final class ProjectionTables {

    public static final ProjectionTables LIVE = new ProjectionTables("releases", "stages");
    public static final ProjectionTables REBUILD = new ProjectionTables("releases_rebuild", "stages_rebuild");

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
        stageUpsert = "insert into " + stages + " (" + STAGE_COLUMNS + ")"
                + " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                + " on conflict (release_id, position) do update set task = excluded.task, status = excluded.status,"
                + " attempt = excluded.attempt, triggered_event_id = excluded.triggered_event_id,"
                + " triggered_at = excluded.triggered_at, started_at = excluded.started_at,"
                + " last_activity_at = excluded.last_activity_at, finished_at = excluded.finished_at,"
                + " message = excluded.message";
        releaseInsert = "insert into " + releases + " (" + RELEASE_COLUMNS + ") values ($1, $2, $3,"
                + " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 0)";
        releaseUpdate = "update " + releases + " set environment = $2, service = $3, version = $4,"
                + " image = $5, databases = $6, migrations = $7, requires_downtime = $8, requested_by = $9, state = $10,"
                + " stage_index = $11, traffic_moved = $12, approved = $13, reason = $14, rollbacks = $15,"
                + " announced_opening = $16, created_at = $17, updated_at = $18, stage_deadline = $19,"
                + " lock_version = lock_version + 1 where id = $1 and lock_version = $20";
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
