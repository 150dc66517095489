-- Blue-green safe: new nullable and defaulted columns only, so the running version keeps working while the new
-- one rolls out. The old version never reads them and its inserts still succeed.
ALTER TABLE agents ADD COLUMN capabilities jsonb;
ALTER TABLE agents ADD COLUMN max_parallel_tasks integer NOT NULL DEFAULT 1;
ALTER TABLE tasks ADD COLUMN attempts integer NOT NULL DEFAULT 0;
