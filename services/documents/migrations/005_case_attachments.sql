-- Files citizens sent (e-mail attachments, letter scans, website form files, WhatsApp
-- media), as documents of the case: a projection of intake's CaseAttachmentReceived /
-- CaseAttachmentFetchFailed and of our own DocumentReceived with an attachment_id (staff
-- accepted it against a checklist item). The bytes stay with intake, served by its API
-- (`content_path`); an accepted file is copied into documents.files with its event.
CREATE TABLE documents.case_attachments (
    attachment_id    uuid PRIMARY KEY,
    case_id          uuid        NOT NULL,
    office           text,
    inbound_id       uuid        NOT NULL,
    channel          text        NOT NULL,
    file_name        text        NOT NULL,
    media_type       text        NOT NULL,
    size_bytes       bigint,
    sha256           text,
    content_path     text,
    status           text        NOT NULL CHECK (status IN ('received', 'fetch_failed')),
    failure_reason   text,
    failure_message  text,
    attempts         integer,
    received_at      timestamptz NOT NULL,
    announced_at     timestamptz NOT NULL,
    accepted_as      text,
    accepted_form    text,
    accepted_by      text,
    accepted_at      timestamptz,
    file_id          uuid
);
CREATE INDEX case_attachments_case_idx ON documents.case_attachments (case_id, received_at);

-- Staff reads of an attachment's bytes (personal data): who looked, and when. Not a
-- projection: a rebuild leaves it alone.
CREATE TABLE documents.attachment_reads (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attachment_id  uuid        NOT NULL,
    case_id        uuid        NOT NULL,
    actor          text        NOT NULL,
    read_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
