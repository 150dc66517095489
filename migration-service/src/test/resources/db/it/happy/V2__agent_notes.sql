-- Nullable: the running version does not know the column and never writes it.
ALTER TABLE agents ADD COLUMN note text;
ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu';
