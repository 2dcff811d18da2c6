-- The append-only event store. One row per event; never updated, never deleted.
CREATE TABLE eventstore.events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction. Readers by position only pass events whose transaction
    -- is older than every transaction still running (pg_snapshot_xmin), so an event that
    -- commits late with a smaller position is never skipped.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version >= 1),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    -- Copied out of metadata for analysts and for per-case reads.
    case_id         uuid,
    office          text,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    actor           text        NOT NULL,
    channel         text,
    owner           text        NOT NULL,  -- the service that owns the stream
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_case_idx ON eventstore.events (case_id, global_position) WHERE case_id IS NOT NULL;
CREATE INDEX events_type_idx ON eventstore.events (event_type, global_position);
CREATE INDEX events_tx_idx ON eventstore.events (transaction_id, global_position);

-- Append-only, enforced: a rogue UPDATE or DELETE fails loudly.
CREATE FUNCTION eventstore.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'eventstore.events is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON eventstore.events
    FOR EACH ROW EXECUTE FUNCTION eventstore.refuse_change();

-- Transactional outbox: written in the same transaction as the events, drained to Kafka
-- by each service's relay, marked sent (kept for audit).
CREATE TABLE eventstore.outbox (
    global_position bigint PRIMARY KEY REFERENCES eventstore.events (global_position),
    owner           text        NOT NULL,
    topic           text        NOT NULL,
    key             text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at         timestamptz
);
CREATE INDEX outbox_unsent_idx ON eventstore.outbox (owner, global_position) WHERE sent_at IS NULL;

CREATE FUNCTION eventstore.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('slrt_outbox_' || NEW.owner, '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON eventstore.outbox
    FOR EACH ROW EXECUTE FUNCTION eventstore.notify_outbox();
