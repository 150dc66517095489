CREATE INDEX agents_name ON agents (name);
ALTER TABLE agents ALTER COLUMN name TYPE varchar(200);
