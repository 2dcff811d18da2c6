-- Every inbound message, kept exactly as received, accepted or not.
-- A row is written ('received') before the body is even parsed, then marked 'accepted'
-- (with its case) or 'rejected' (with the same machine-readable code the sender got).
-- A row still 'received' means the process stopped while deciding; nothing is lost.
CREATE TABLE intake.inbound_messages (
    id              uuid PRIMARY KEY,
    received_at     timestamptz NOT NULL,
    -- How it came in: 'staff_api' (typed in by staff); channel adapters add their own
    -- ('email', 'whatsapp', 'sp4n_lapor', ...).
    source          text        NOT NULL,
    content_type    text,
    headers         jsonb       NOT NULL DEFAULT '{}',
    body            bytea       NOT NULL,
    body_truncated  boolean     NOT NULL DEFAULT false,
    -- What the message claims, once it could be read (NULL if it could not).
    channel         text,
    office          text,       -- only an office that exists in the catalogue
    external_id     text,
    -- Who handed it in (staff actor and their office), and the request's flow id.
    entered_by      text,
    entered_by_office text,
    correlation_id  uuid        NOT NULL,
    status          text        NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'accepted', 'rejected')),
    reason          text,       -- machine-readable code: 'nik_invalid', 'duplicate', ...
    reason_message  text,
    reason_details  jsonb,
    case_id         uuid,
    decided_at      timestamptz
);
CREATE INDEX inbound_messages_office_idx
    ON intake.inbound_messages (office, status, received_at DESC);
CREATE INDEX inbound_messages_status_idx ON intake.inbound_messages (status, received_at DESC);

-- Staff reads of inbound messages (they hold personal data): who looked, and when.
CREATE TABLE intake.inbound_reads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbound_id  uuid        NOT NULL REFERENCES intake.inbound_messages (id),
    actor       text        NOT NULL,
    read_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Ticket numbers per prefix and year. `INSERT ... ON CONFLICT DO UPDATE SET n = n + 1
-- RETURNING n` inside the registering transaction: the row lock makes concurrent
-- registrations take distinct numbers, and a rolled-back registration leaves no gap.
-- Keyed by the printed prefix (one per office), not the office: two offices whose ids
-- abbreviate alike share one sequence instead of printing the same ticket twice.
CREATE TABLE intake.ticket_counters (
    prefix  text    NOT NULL,
    year    integer NOT NULL,
    n       integer NOT NULL,
    PRIMARY KEY (prefix, year)
);

-- One row per case registered here: how to find it again by ticket or by channel id.
CREATE TABLE intake.registrations (
    case_id         uuid PRIMARY KEY,
    ticket_number   text        NOT NULL UNIQUE,
    office          text        NOT NULL,
    service         text        NOT NULL,
    variant         text,
    channel         text        NOT NULL,
    external_id     text,
    inbound_id      uuid        NOT NULL REFERENCES intake.inbound_messages (id),
    received_at     timestamptz NOT NULL,
    registered_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- A channel redelivering the same message must not open a second case.
CREATE UNIQUE INDEX registrations_external_id_idx
    ON intake.registrations (channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX registrations_office_idx ON intake.registrations (office, received_at DESC);
