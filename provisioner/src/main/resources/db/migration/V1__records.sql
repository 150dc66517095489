-- The provisioner's records. Resources themselves are never recorded: their tags are their state.

-- A create under way: its idempotency token, so a retried or resumed create is the same create.
CREATE TABLE pending_create (
    environment  text        NOT NULL,
    logical_id   text        NOT NULL,
    kind         text        NOT NULL,
    token        text        NOT NULL,
    started_at   timestamptz NOT NULL,
    PRIMARY KEY (environment, logical_id)
);

-- The spec of each environment's last successful apply: what a drift check compares the cloud with.
CREATE TABLE applied_spec (
    environment  text        PRIMARY KEY,
    fingerprint  text        NOT NULL,
    spec         text        NOT NULL,
    applied_at   timestamptz NOT NULL,
    run_id       text        NOT NULL
);

-- One writer per environment. A holder renews its lease while it runs; one not renewed for a while is taken over.
CREATE TABLE lease (
    environment  text        PRIMARY KEY,
    run_id       text        NOT NULL,
    action       text        NOT NULL,
    taken_at     timestamptz NOT NULL,
    renewed_at   timestamptz NOT NULL
);

-- Every run with its plan and its progress lines. A run not renewed for a while ran in a provisioner that stopped.
CREATE TABLE run (
    id           text        PRIMARY KEY,
    environment  text        NOT NULL,
    action       text        NOT NULL,
    force        boolean     NOT NULL,
    state        text        NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    summary      text        NOT NULL,
    pending      integer     NOT NULL,
    diff         text        NOT NULL,
    lines        text        NOT NULL,
    error        text,
    renewed_at   timestamptz NOT NULL
);
CREATE INDEX run_by_environment ON run (environment, started_at DESC);
