-- A case has a subject of its own (issue 16: one person's erasure must not erase another's).
--
-- Before: a case's first append took the subject of its flow (the raw message it came
-- from). A delivery that carries several people (the suggestion box's slips, a letter
-- for a family) is one flow: every case registered from it shared one subject, so
-- erasing one person erased the others' cases too. And a flow's subject took the blind
-- index of the first NIK in it, so a later case of that person was sealed with the
-- shared key as well.
--
-- Now: a case's first append finds its person by the blind index of the NIK, else gets a
-- new subject; the flow's subject (the raw message, which holds this person's data) is
-- linked to the case by a further, non-primary anchor, so erasing the case still
-- destroys the raw message's key, but never the other cases' own keys. A flow's subject
-- takes no blind index (a raw message is not one person). Subjects and anchors already
-- made stay as they are: what was sealed with them opens as before.
CREATE OR REPLACE FUNCTION eventstore.resolve_subjects(
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
        SELECT a.subject_id INTO via_flow FROM eventstore.subject_anchors a
        WHERE a.anchor = flow_anchor AND a.is_primary;
        IF case_anchor IS NOT NULL THEN
            SELECT a.subject_id INTO s FROM eventstore.subject_anchors a
            WHERE a.anchor = case_anchor AND a.is_primary;
            IF s IS NULL AND blinds[i] IS NOT NULL THEN
                -- The same person (NIK) in another case: one subject.
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
            s := via_flow;
            IF s IS NULL THEN
                INSERT INTO eventstore.subjects (subject_id, wrapped_key, key_ref, blind_index)
                VALUES (new_ids[i], new_keys[i], ref, NULL);
                s := new_ids[i];
            END IF;
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
