-- What the request itself met of its checklist, snapshot at registration with the
-- requirements: the requirement types, never the values (`phone_number` when the
-- registration carries the applicant's phone: Kupang's "fotokopi KTP ... dan/atau nomor
-- HP"). Checklists opened before this migration gave nothing; the rebuild refolds them
-- from their registrations.
ALTER TABLE documents.checklists ADD COLUMN given text[] NOT NULL DEFAULT '{}';
