INSERT INTO runs VALUES (1, 'queued');
ALTER TABLE runs ADD COLUMN started timestamptz;
INSERT INTO runs VALUES (1, 'duplicate');
