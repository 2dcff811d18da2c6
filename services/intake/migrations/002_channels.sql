-- Channel adapters, triage, identities, duplicates and the walk-in desk.

-- Adapter messages wait in 'queued' until intake's consumer decides (accepted, triage,
-- reply, rejected). 'triage' = kept for staff to classify, never refused for that.
ALTER TABLE intake.inbound_messages DROP CONSTRAINT inbound_messages_status_check;
ALTER TABLE intake.inbound_messages ADD CONSTRAINT inbound_messages_status_check
    CHECK (status IN ('received', 'queued', 'accepted', 'triage', 'reply', 'rejected'));
-- The adapter's reading of the message (sender, text, explicit fields, attachments) and
-- the reporter's privacy flags, so that views can hide the body from who must not see it.
ALTER TABLE intake.inbound_messages ADD COLUMN parsed jsonb;
ALTER TABLE intake.inbound_messages ADD COLUMN anonymous boolean NOT NULL DEFAULT false;
ALTER TABLE intake.inbound_messages ADD COLUMN confidential boolean NOT NULL DEFAULT false;

-- Files that came with a message (e-mail attachments, a scanned letter), with checksum.
CREATE TABLE intake.inbound_attachments (
    id            uuid PRIMARY KEY,
    inbound_id    uuid        NOT NULL REFERENCES intake.inbound_messages (id),
    file_name     text        NOT NULL,
    content_type  text        NOT NULL,
    size_bytes    integer     NOT NULL,
    sha256        text        NOT NULL,
    content       bytea       NOT NULL
);
CREATE INDEX inbound_attachments_inbound_idx ON intake.inbound_attachments (inbound_id);

-- The staff queue of what could not be classified to office, service or variant.
CREATE TABLE intake.triage (
    inbound_id    uuid PRIMARY KEY REFERENCES intake.inbound_messages (id),
    office        text,
    channel       text        NOT NULL,
    reason        text        NOT NULL,
    summary       text        NOT NULL DEFAULT '',
    queued_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    classified_at timestamptz,
    classified_by text,
    case_id       uuid
);
CREATE INDEX triage_open_idx ON intake.triage (office, queued_at) WHERE classified_at IS NULL;

-- One citizen, one identity across channels: every identifier (NIK, phone in E.164,
-- e-mail, social handle) points at one citizen id.
CREATE TABLE intake.citizens (
    id          uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE intake.citizen_identifiers (
    kind        text NOT NULL,   -- nik, phone, email, facebook, instagram, twitter
    value       text NOT NULL,
    citizen_id  uuid NOT NULL REFERENCES intake.citizens (id),
    first_seen  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (kind, value)
);
CREATE INDEX citizen_identifiers_citizen_idx ON intake.citizen_identifiers (citizen_id);

ALTER TABLE intake.registrations ADD COLUMN citizen_id uuid;
ALTER TABLE intake.registrations ADD COLUMN nik text;
ALTER TABLE intake.registrations ADD COLUMN phone text;
ALTER TABLE intake.registrations ADD COLUMN closed_at timestamptz;
-- E-mail Message-IDs (and other channel message ids) that belong to a case: replies thread.
CREATE TABLE intake.thread_refs (
    ref         text PRIMARY KEY,
    case_id     uuid NOT NULL
);
CREATE INDEX registrations_nik_idx ON intake.registrations (nik, service, received_at DESC)
    WHERE nik IS NOT NULL;
CREATE INDEX registrations_phone_idx ON intake.registrations (phone, office, received_at DESC)
    WHERE phone IS NOT NULL;
CREATE INDEX registrations_citizen_idx ON intake.registrations (citizen_id, service)
    WHERE citizen_id IS NOT NULL;

-- Likely duplicates across channels, until staff confirm or dismiss them.
CREATE TABLE intake.duplicates (
    case_id       uuid NOT NULL,
    duplicate_of  uuid NOT NULL,
    office        text NOT NULL,
    reason        text NOT NULL,
    status        text NOT NULL DEFAULT 'suspected'
                  CHECK (status IN ('suspected', 'confirmed', 'dismissed')),
    suspected_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    decided_by    text,
    decided_at    timestamptz,
    PRIMARY KEY (case_id, duplicate_of)
);
CREATE INDEX duplicates_open_idx ON intake.duplicates (office, status);

-- The walk-in desk: queue numbers per office per day, the guest book (buku tamu) and
-- identity cards left at reception.
CREATE TABLE intake.queue_counters (
    office  text NOT NULL,
    day     date NOT NULL,
    n       integer NOT NULL,
    PRIMARY KEY (office, day)
);
CREATE TABLE intake.visits (
    id              uuid PRIMARY KEY,
    office          text        NOT NULL,
    visit_date      date        NOT NULL,
    queue_number    text        NOT NULL,
    visitor_name    text        NOT NULL,
    visitor_phone   text,
    visitor_nik     text,
    purpose         text        NOT NULL,
    checked_in_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    checked_in_by   text        NOT NULL,
    case_id         uuid,
    id_card_kind    text,
    id_card_held_by text,
    id_card_left_at timestamptz,
    id_card_returned_at timestamptz,
    id_card_returned_by text,
    UNIQUE (office, visit_date, queue_number)
);
CREATE INDEX visits_cards_held_idx ON intake.visits (office)
    WHERE id_card_left_at IS NOT NULL AND id_card_returned_at IS NULL;
