-- The guest book's details (the visitor's name, phone, NIK and purpose: no event carries
-- the first three) sealed at rest like a raw message (adapters/sealed.py): AES-256-GCM
-- with the data key of the visit's subject (its flow's, the same as its events'; linked
-- to the case a walk-in request registers for the visit, and erased with that case's
-- person). NULL: kept in clear (rows kept before this migration, and
-- SLRT_ENCRYPT_PERSONAL_DATA=false on the bench).
ALTER TABLE intake.visits ADD COLUMN subject_id uuid;
