-- A dead letter keeps the original Kafka key and headers (event id, correlation id…), and
-- for a refusal its machine-readable code, next to the human-readable reason.
ALTER TABLE "{schema}".dead_letters ADD COLUMN key bytea;
ALTER TABLE "{schema}".dead_letters ADD COLUMN headers jsonb NOT NULL DEFAULT '[]';
ALTER TABLE "{schema}".dead_letters ADD COLUMN reason_code text;
