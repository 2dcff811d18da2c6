-- One disposition (issue 12): `documents.dispositions` now follows casework's
-- disposition (CaseAssigned kind disposition) and delegation (CaseDelegated): who drafts
-- a case's letter and the role they were given it in. Ordered by the casework event's
-- global position; `version` belonged to documents' own disposition stream, no longer
-- appended (rows from before have no role and name no drafter any more).
ALTER TABLE documents.dispositions ADD COLUMN role text;
ALTER TABLE documents.dispositions ADD COLUMN kind text NOT NULL DEFAULT 'disposition'
    CHECK (kind IN ('disposition', 'delegation'));
ALTER TABLE documents.dispositions ADD COLUMN global_position bigint;
ALTER TABLE documents.dispositions ALTER COLUMN version DROP NOT NULL;
