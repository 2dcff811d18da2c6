-- Scans sealed at rest with the data key of the case's person (shared/at_rest.py; the
-- event store's keys, so the case's erasure shreds them too). `subject_id`: the subject a
-- scan was sealed for; NULL: kept in clear (scans kept before this migration, which stay
-- readable as they were until the case is erased, and SLRT_ENCRYPT_PERSONAL_DATA=false).
-- `size` and `sha256` stay the plaintext's (announced on DocumentReceived and checked);
-- the ciphertext is longer than the file, and an erased scan is emptied.
ALTER TABLE documents.files DROP CONSTRAINT files_check;
ALTER TABLE documents.files ADD COLUMN subject_id uuid;
ALTER TABLE documents.files ADD COLUMN erased_at timestamptz;
