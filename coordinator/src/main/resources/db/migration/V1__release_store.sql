-- The coordinator's store. The event log is the source of truth; releases and stages are projections of it
-- that can be rebuilt. The outbox holds events decided in a transaction until they are on the stream.

create table releases (
    id                varchar(128) primary key,
    environment       varchar(64)  not null,
    service           varchar(128) not null,
    version           varchar(128) not null,
    image             varchar(512) not null,
    databases         text         not null,
    migrations        text,
    requires_downtime boolean      not null,
    requested_by      varchar(128),
    state             varchar(32)  not null,
    stage_index       integer      not null,
    traffic_moved     boolean      not null,
    approved          boolean      not null,
    reason            text,
    rollbacks         integer      not null,
    announced_opening timestamptz,
    created_at        timestamptz  not null,
    updated_at        timestamptz  not null,
    lock_version      bigint       not null default 0
);
create index releases_slot on releases (environment, service, state, created_at);
create index releases_state on releases (state, updated_at);

create table stages (
    release_id         varchar(128) not null references releases (id) on delete cascade,
    position           integer      not null,
    task               varchar(32)  not null,
    status             varchar(16)  not null,
    attempt            integer      not null,
    triggered_event_id varchar(200),
    triggered_at       timestamptz,
    started_at         timestamptz,
    last_activity_at   timestamptz,
    finished_at        timestamptz,
    message            text,
    primary key (release_id, position)
);

create table event_log (
    seq         bigserial    primary key,
    event_id    varchar(200) not null unique,
    type        varchar(100) not null,
    source      varchar(200) not null,
    release_id  varchar(128),
    subject     varchar(200),
    event_time  timestamptz,
    fields      text         not null,
    recorded_at timestamptz  not null
);
create index event_log_release on event_log (release_id, seq);

create table audit (
    id         bigserial    primary key,
    release_id varchar(128) not null,
    actor      varchar(128) not null,
    action     varchar(32)  not null,
    detail     text,
    at         timestamptz  not null
);
create index audit_release on audit (release_id, id);

create table outbox (
    id         bigserial    primary key,
    event_id   varchar(200) not null unique,
    fields     text         not null,
    created_at timestamptz  not null,
    sent_at    timestamptz
);
create index outbox_unsent on outbox (id) where sent_at is null;
