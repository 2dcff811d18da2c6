-- Projections of the documents service. The truth is in the event store
-- (streams checklist-<case_id> and letter-<letter_id>); these tables are what commands
-- and screens read.

-- One checklist per case, created from ComplaintRegistered and the catalogue variant.
CREATE TABLE documents.checklists (
    case_id        uuid PRIMARY KEY,
    office         text        NOT NULL,
    service        text        NOT NULL,
    variant        text,
    channel        text,
    ticket_number  text        NOT NULL,
    requires_dtks  boolean     NOT NULL,
    -- Snapshot of the variant's requirements when the case was registered:
    -- [{type, name, form, alternative_group}, ...]
    required       jsonb       NOT NULL,
    -- What the citizen said they brought: not received until staff check it.
    declared       text[]      NOT NULL DEFAULT '{}',
    -- document type -> {form, checked_by, at}
    received       jsonb       NOT NULL DEFAULT '{}',
    complete       boolean     NOT NULL DEFAULT false,
    completed_at   timestamptz,
    version        integer     NOT NULL DEFAULT 0,  -- of the checklist stream
    registered_at  timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX checklists_office_idx ON documents.checklists (office, registered_at);

-- DTKS state per case. Its own table: the eligibility topic may deliver before intake's.
CREATE TABLE documents.eligibility (
    case_id         uuid PRIMARY KEY,
    status          text        NOT NULL CHECK (status IN ('verified', 'not_found')),
    reason          text,
    programmes      text[]      NOT NULL DEFAULT '{}',
    source          text,
    global_position bigint,  -- the event it comes from; an older one never overwrites
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE documents.letters (
    letter_id      uuid PRIMARY KEY,
    case_id        uuid        NOT NULL,
    office         text        NOT NULL,
    service        text        NOT NULL,
    variant        text,
    product        text        NOT NULL,
    letter_type    text        NOT NULL,
    status         text        NOT NULL
        CHECK (status IN ('in_review', 'approved', 'returned', 'signed')),
    current_step   integer,  -- 1-based within chain; null once signed or while returned
    step_role      text,  -- role of the step now due
    chain          text[]      NOT NULL,  -- roles after the draft; the last one signs
    approvals      jsonb       NOT NULL DEFAULT '[]',  -- [{step, role, actor, comment}]
    returns        jsonb       NOT NULL DEFAULT '[]',
    revision       integer     NOT NULL DEFAULT 1,
    drafted_by     text        NOT NULL,
    subject        text        NOT NULL,
    body           text        NOT NULL,
    letter_number  text UNIQUE,
    content_sha256 text,
    content        jsonb,  -- the canonical content the hash covers (number, date, ...)
    signed_by      text,
    signed_at      timestamptz,
    version        integer     NOT NULL,  -- of the letter stream
    drafted_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX letters_case_idx ON documents.letters (case_id, drafted_at);
CREATE INDEX letters_office_status_idx ON documents.letters (office, status);
-- At most one letter in progress per case, even if two officers draft at once.
CREATE UNIQUE INDEX letters_one_active_per_case ON documents.letters (case_id)
    WHERE status <> 'signed';

-- Letter numbers: one sequence per office and year. The row lock taken by the upsert
-- serialises signatures of one office; a rolled-back signature gives its number back.
CREATE TABLE documents.letter_counters (
    office      text    NOT NULL,
    year        integer NOT NULL,
    last_number integer NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (office, year)
);
