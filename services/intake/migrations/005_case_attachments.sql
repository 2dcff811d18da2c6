-- Attachments become documents of the case (issue 12, point 5).
--
-- A file with bytes (e-mail part, letter scan, website form file) is 'stored' when the
-- message is kept. A WhatsApp media reference is kept 'pending' with its media id and
-- fetched later by intake's media worker (retries, `next_attempt_at`), then 'stored' with
-- its checksum, or 'failed' with the reason: never dropped.
-- `announced_at`: when CaseAttachmentReceived / CaseAttachmentFetchFailed was appended on
-- the case's stream (once the message has a case and the fetch is over).
ALTER TABLE intake.inbound_attachments ALTER COLUMN content DROP NOT NULL;
ALTER TABLE intake.inbound_attachments ALTER COLUMN sha256 DROP NOT NULL;
ALTER TABLE intake.inbound_attachments
    ADD COLUMN status text NOT NULL DEFAULT 'stored'
        CHECK (status IN ('stored', 'pending', 'failed')),
    ADD COLUMN media_id text,
    ADD COLUMN declared_sha256 text,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN failure_reason text,
    ADD COLUMN failure_message text,
    ADD COLUMN fetched_at timestamptz,
    ADD COLUMN announced_at timestamptz,
    ADD COLUMN position integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT inbound_attachments_stored_has_bytes
        CHECK (status <> 'stored' OR content IS NOT NULL);
CREATE INDEX inbound_attachments_pending_idx ON intake.inbound_attachments (next_attempt_at)
    WHERE status = 'pending';

-- Staff reads of an attachment's bytes: who looked, and when (like inbound_reads).
CREATE TABLE intake.attachment_reads (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attachment_id  uuid        NOT NULL REFERENCES intake.inbound_attachments (id),
    actor          text        NOT NULL,
    read_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
