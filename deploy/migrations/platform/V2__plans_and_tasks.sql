-- planning-system: plans break into tasks that agents pick up.
CREATE TABLE plans (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id),
    goal text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    plan_id bigint NOT NULL REFERENCES plans (id),
    agent_id bigint REFERENCES agents (id),
    title text NOT NULL,
    state varchar(40) NOT NULL DEFAULT 'queued',
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tasks_plan ON tasks (plan_id);
