-- Rebuilds of the projections, run as jobs: one row each, updated as it goes, so any replica can report it.
create table rebuild_jobs (
    id               varchar(64)  primary key,
    state            varchar(16)  not null,
    phase            varchar(32)  not null,
    requested_by     varchar(128) not null,
    started_at       timestamptz  not null,
    updated_at       timestamptz  not null,
    finished_at      timestamptz,
    events_total     bigint       not null,
    events_replayed  bigint       not null,
    events_per_s     double precision,
    releases         bigint,
    longest_pause_ms bigint,
    peak_heap_mb     integer,
    message          text
);
-- At most one rebuild runs at a time, across replicas.
create unique index rebuild_jobs_one_running on rebuild_jobs (state) where state = 'RUNNING';
create index rebuild_jobs_started on rebuild_jobs (started_at);
