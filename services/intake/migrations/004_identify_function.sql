-- For a registration about to be made, in one call: the citizen, a likely duplicate, the
-- ticket number (the rules: repository.identify_and_number). A function, so that one
-- registration and a batch of them (one call per request, in order, in one statement)
-- run the very same code. Every lookup below is by index, so a registration costs the
-- same with ten citizens or ten million: one OR over the three duplicate rules was
-- planned as a scan of the office's cases, and PL/pgSQL keeps the plan it made first for
-- the whole session, which for a young table (no statistics yet) is a sequential scan.
-- Hence `enable_seqscan = off` for this function alone; and generic plans, made once per
-- session: re-planning on every call (PL/pgSQL's default when a custom plan looks
-- cheaper) cost more than running the statements.
CREATE FUNCTION intake.identify(
    p_kinds text[], p_values text[], p_new_id uuid, p_office text, p_service text,
    p_nik text, p_phone text, p_since timestamptz, p_prefix text, p_year integer)
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
        FROM unnest(p_kinds, p_values) AS w(kind, value)
        CROSS JOIN LATERAL (
            SELECT ci.citizen_id, ci.first_seen FROM intake.citizen_identifiers ci
            WHERE ci.kind = w.kind AND ci.value = w.value) AS known
        ORDER BY known.first_seen LIMIT 1;
        IF v_citizen IS NULL THEN
            v_citizen := p_new_id;
            INSERT INTO intake.citizens (id) VALUES (v_citizen);
        END IF;
        -- Identifiers not seen before now lead to this citizen too.
        INSERT INTO intake.citizen_identifiers (kind, value, citizen_id)
        SELECT w.kind, w.value, v_citizen FROM unnest(p_kinds, p_values) AS w(kind, value)
        ON CONFLICT (kind, value) DO NOTHING;
    END IF;

    -- The earliest open case of this office within the window that looks the same; when
    -- it matches more than one rule, the first rule names the reason.
    SELECT d.case_id, d.reason INTO duplicate_of, reason FROM (
        (SELECT r.case_id, r.received_at, 1 AS rule, 'same_nik_and_service' AS reason
         FROM intake.registrations r
         WHERE r.nik = p_nik AND r.service = p_service AND r.office = p_office
           AND r.closed_at IS NULL AND r.received_at >= p_since
         ORDER BY r.received_at LIMIT 1)
        UNION ALL
        (SELECT r.case_id, r.received_at, 2, 'same_phone'
         FROM intake.registrations r
         WHERE r.phone = p_phone AND r.office = p_office
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
