-- Every replay of a dead letter (`slrt dead-letters replay`): who asked, when, and what
-- came of it. Kept beside the dead letters, in the service's own schema: a replay is an
-- operator's act on this service's private table, not a fact about a case.
CREATE TABLE "{schema}".dead_letter_replays (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dead_letter_id bigint      NOT NULL REFERENCES "{schema}".dead_letters (id),
    replayed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    replayed_by    text        NOT NULL,
    result         text        NOT NULL
        CHECK (result IN ('applied', 'already_applied', 'not_handled', 'failed')),
    detail         text
);
CREATE INDEX ON "{schema}".dead_letter_replays (dead_letter_id, id);
