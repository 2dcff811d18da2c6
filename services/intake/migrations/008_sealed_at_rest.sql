-- What the citizen sent, sealed at rest with the data key of its subject (shared/at_rest.py;
-- the same keys as the event store's personal fields, so one erasure shreds both).
-- `subject_id` is the subject a message was sealed for: its body, headers and `parsed`,
-- its attachments' bytes and its triage summary are AES-256-GCM ciphertext bound to the
-- row's id. NULL: kept in clear (rows kept before this migration, which stay readable as
-- they were, and SLRT_ENCRYPT_PERSONAL_DATA=false on the bench).
ALTER TABLE intake.inbound_messages ADD COLUMN subject_id uuid;
