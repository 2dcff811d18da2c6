-- "Call next" at the walk-in desk: when reception called a visit's queue number
-- (`VisitCalled`), and who called it. NULL: still waiting.
ALTER TABLE intake.visits
    ADD COLUMN called_at timestamptz,
    ADD COLUMN called_by text;
