-- Tables every consuming service keeps in its own schema ({schema} is filled in).
-- Which events this service has applied: written in the same transaction as the effect,
-- so a redelivered event changes nothing.
CREATE TABLE "{schema}".processed_events (
    event_id        uuid PRIMARY KEY,
    event_type      text        NOT NULL,
    global_position bigint,
    processed_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Where catch-up from the event store stands (the broker may have lost its log).
CREATE TABLE "{schema}".store_checkpoint (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    transaction_id bigint  NOT NULL,
    position       bigint  NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- What could not be decoded or applied, kept as received with the reason.
CREATE TABLE "{schema}".dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic       text,
    event_id    uuid,
    event_type  text,
    reason      text        NOT NULL,
    raw         bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
