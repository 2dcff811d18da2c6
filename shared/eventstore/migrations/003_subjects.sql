-- Crypto-shredding (shared/eventstore/subjects.py): one data key per person (subject),
-- kept only wrapped by the key-encryption key; erasure drops it.
CREATE TABLE eventstore.subjects (
    subject_id uuid PRIMARY KEY,
    wrapped_key bytea,                -- the data key wrapped by the KEK; NULL once erased
    key_ref text NOT NULL,            -- which KEK wrapped it (the KMS seam)
    blind_index bytea,                -- HMAC-SHA256 of the normalised NIK, when known
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    erased_at timestamptz,
    erased_reason text,
    erased_by text,
    CONSTRAINT subjects_erased_has_no_key CHECK ((erased_at IS NULL) = (wrapped_key IS NOT NULL))
);
CREATE INDEX subjects_blind_idx ON eventstore.subjects (blind_index) WHERE blind_index IS NOT NULL;

-- What an append is about: 'case:<case id>' or 'flow:<correlation id>' (before a case
-- exists). One primary subject per anchor; a case may be linked to further subjects (the
-- raw message of a reply, kept before its case was known), erased with it.
CREATE TABLE eventstore.subject_anchors (
    anchor text NOT NULL,
    subject_id uuid NOT NULL REFERENCES eventstore.subjects,
    is_primary boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (anchor, subject_id)
);
CREATE UNIQUE INDEX subject_anchors_primary_idx ON eventstore.subject_anchors (anchor) WHERE is_primary;
CREATE INDEX subject_anchors_subject_idx ON eventstore.subject_anchors (subject_id);

-- The subject of each append (n = its position in the arrays, from 1): the case's, else
-- the flow's, else the person's by blind index (not erased), else a new one with the key
-- given. Runs as the caller, in its transaction.
CREATE FUNCTION eventstore.resolve_subjects(
    case_ids uuid[], flows uuid[], blinds bytea[], new_ids uuid[], new_keys bytea[],
    ref text
) RETURNS TABLE (n int, subject_id uuid, wrapped_key bytea)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    s uuid;
    via_flow uuid;
    case_anchor text;
    flow_anchor text;
BEGIN
    FOR i IN 1 .. coalesce(array_length(new_ids, 1), 0) LOOP
        s := NULL;
        via_flow := NULL;
        case_anchor := CASE WHEN case_ids[i] IS NULL THEN NULL ELSE 'case:' || case_ids[i] END;
        flow_anchor := 'flow:' || flows[i];
        IF case_anchor IS NOT NULL THEN
            SELECT a.subject_id INTO s FROM eventstore.subject_anchors a
            WHERE a.anchor = case_anchor AND a.is_primary;
        END IF;
        SELECT a.subject_id INTO via_flow FROM eventstore.subject_anchors a
        WHERE a.anchor = flow_anchor AND a.is_primary;
        IF s IS NULL THEN
            s := via_flow;
        END IF;
        IF s IS NULL AND blinds[i] IS NOT NULL THEN
            SELECT x.subject_id INTO s FROM eventstore.subjects x
            WHERE x.blind_index = blinds[i] AND x.erased_at IS NULL
            ORDER BY x.created_at LIMIT 1;
        END IF;
        IF s IS NULL THEN
            INSERT INTO eventstore.subjects (subject_id, wrapped_key, key_ref, blind_index)
            VALUES (new_ids[i], new_keys[i], ref, blinds[i]);
            s := new_ids[i];
        ELSIF blinds[i] IS NOT NULL THEN
            UPDATE eventstore.subjects x SET blind_index = blinds[i]
            WHERE x.subject_id = s AND x.blind_index IS NULL;
        END IF;
        IF case_anchor IS NOT NULL THEN
            INSERT INTO eventstore.subject_anchors (anchor, subject_id)
            VALUES (case_anchor, s) ON CONFLICT DO NOTHING;
            -- Someone else anchored the case first (two appends racing): theirs it is.
            SELECT a.subject_id INTO s FROM eventstore.subject_anchors a
            WHERE a.anchor = case_anchor AND a.is_primary;
            IF via_flow IS NOT NULL AND via_flow <> s THEN
                INSERT INTO eventstore.subject_anchors (anchor, subject_id, is_primary)
                VALUES (case_anchor, via_flow, false) ON CONFLICT DO NOTHING;
            END IF;
        ELSE
            INSERT INTO eventstore.subject_anchors (anchor, subject_id)
            VALUES (flow_anchor, s) ON CONFLICT DO NOTHING;
            SELECT a.subject_id INTO s FROM eventstore.subject_anchors a
            WHERE a.anchor = flow_anchor AND a.is_primary;
        END IF;
        RETURN QUERY SELECT i, s, (SELECT x.wrapped_key FROM eventstore.subjects x
                                   WHERE x.subject_id = s);
    END LOOP;
END
$$;
