-- The Berrys platform's core tables (agent-orchestrator, project-coordinator).
CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    name varchar(200) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id),
    name varchar(200) NOT NULL,
    model varchar(100) NOT NULL,
    state varchar(40) NOT NULL DEFAULT 'idle',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX agents_project ON agents (project_id);
