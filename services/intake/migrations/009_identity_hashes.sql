-- The identity index keeps keyed hashes, never the identifiers (issue 16, point 1).
-- Finding the same citizen again and spotting a likely duplicate need equality only, so
-- `registrations` and `citizen_identifiers` keep HMAC-SHA256 of the canonical value with
-- the blind-index key (shared/eventstore/subjects.py `Keyring.identifier_hash`), computed
-- by the service: `nik_hash`, `phone_hash`, `value_hash`.
--
-- The clear columns (`registrations.nik`, `.phone`, `citizen_identifiers.value`) are no
-- longer written. A migration cannot compute an HMAC (it has no key): rows kept before
-- this one are hashed, and their clear values set to NULL, by the service at start-up
-- (adapters/identity_backfill.py, in batches, idempotent). A later migration drops the
-- clear columns once every deployment has run it.
ALTER TABLE intake.registrations ADD COLUMN nik_hash bytea, ADD COLUMN phone_hash bytea;
DROP INDEX intake.registrations_nik_idx;
DROP INDEX intake.registrations_phone_idx;
CREATE INDEX registrations_nik_hash_idx
    ON intake.registrations (nik_hash, service, received_at DESC) WHERE nik_hash IS NOT NULL;
CREATE INDEX registrations_phone_hash_idx
    ON intake.registrations (phone_hash, office, received_at DESC) WHERE phone_hash IS NOT NULL;
CREATE INDEX registrations_clear_identity_idx ON intake.registrations (case_id)
    WHERE nik IS NOT NULL OR phone IS NOT NULL;  -- what the backfill has left to do

ALTER TABLE intake.citizen_identifiers DROP CONSTRAINT citizen_identifiers_pkey;
ALTER TABLE intake.citizen_identifiers ALTER COLUMN value DROP NOT NULL;
ALTER TABLE intake.citizen_identifiers ADD COLUMN value_hash bytea;
ALTER TABLE intake.citizen_identifiers ADD CONSTRAINT citizen_identifiers_hash_key
    UNIQUE (kind, value_hash);
ALTER TABLE intake.citizen_identifiers ADD CONSTRAINT citizen_identifiers_one_form
    CHECK (value IS NULL OR value_hash IS NULL);
CREATE UNIQUE INDEX citizen_identifiers_clear_idx ON intake.citizen_identifiers (kind, value)
    WHERE value IS NOT NULL;  -- rows kept before this migration, until the backfill

-- intake.identify (migration 004) over the hashes: the same rules, the same plan
-- settings; identifiers, NIK and phone come in hashed.
DROP FUNCTION intake.identify(
    text[], text[], uuid, text, text, text, text, timestamptz, text, integer);
CREATE FUNCTION intake.identify(
    p_kinds text[], p_hashes bytea[], p_new_id uuid, p_office text, p_service text,
    p_nik_hash bytea, p_phone_hash bytea, p_since timestamptz, p_prefix text, p_year integer)
RETURNS TABLE (citizen_id uuid, duplicate_of uuid, reason text, ticket bigint)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_citizen uuid;
BEGIN
    IF cardinality(p_kinds) > 0 THEN
        -- The earliest citizen any of these identifiers already belongs to.
        SELECT known.citizen_id INTO v_citizen
        FROM unnest(p_kinds, p_hashes) AS w(kind, value_hash)
        CROSS JOIN LATERAL (
            SELECT ci.citizen_id, ci.first_seen FROM intake.citizen_identifiers ci
            WHERE ci.kind = w.kind AND ci.value_hash = w.value_hash) AS known
        ORDER BY known.first_seen LIMIT 1;
        IF v_citizen IS NULL THEN
            v_citizen := p_new_id;
            INSERT INTO intake.citizens (id) VALUES (v_citizen);
        END IF;
        -- Identifiers not seen before now lead to this citizen too.
        INSERT INTO intake.citizen_identifiers (kind, value_hash, citizen_id)
        SELECT w.kind, w.value_hash, v_citizen
        FROM unnest(p_kinds, p_hashes) AS w(kind, value_hash)
        ON CONFLICT (kind, value_hash) DO NOTHING;
    END IF;

    -- The earliest open case of this office within the window that looks the same; when
    -- it matches more than one rule, the first rule names the reason.
    SELECT d.case_id, d.reason INTO duplicate_of, reason FROM (
        (SELECT r.case_id, r.received_at, 1 AS rule, 'same_nik_and_service' AS reason
         FROM intake.registrations r
         WHERE r.nik_hash = p_nik_hash AND r.service = p_service AND r.office = p_office
           AND r.closed_at IS NULL AND r.received_at >= p_since
         ORDER BY r.received_at LIMIT 1)
        UNION ALL
        (SELECT r.case_id, r.received_at, 2, 'same_phone'
         FROM intake.registrations r
         WHERE r.phone_hash = p_phone_hash AND r.office = p_office
           AND r.closed_at IS NULL AND r.received_at >= p_since
         ORDER BY r.received_at LIMIT 1)
        UNION ALL
        (SELECT r.case_id, r.received_at, 3, 'same_citizen_and_service'
         FROM intake.registrations r
         WHERE r.citizen_id = v_citizen AND r.service = p_service AND r.office = p_office
           AND r.closed_at IS NULL AND r.received_at >= p_since
         ORDER BY r.received_at LIMIT 1)
    ) AS d
    ORDER BY d.received_at, d.rule LIMIT 1;

    citizen_id := v_citizen;
    ticket := intake.next_ticket(p_prefix, p_year);
    RETURN NEXT;
END;
$$;
