-- The folded case, kept between events, so that a new event is folded onto it instead of
-- refolding the case's whole timeline (`adapters/case_projection.py`). A projection like
-- the rest: written in the transaction of the timeline row it includes, emptied and
-- refilled by a rebuild. One row per case that has a timeline row, registered or not
-- (an eligibility verdict may come before the registration).
CREATE TABLE casework.case_states (
    case_id       uuid    PRIMARY KEY,
    -- `domain/case_snapshot.FOLD_VERSION` when it was folded: a state folded by an older
    -- fold is not used (the case is refolded from its timeline instead).
    fold_version  integer NOT NULL,
    -- The highest global position folded in: an event below it arrived out of global
    -- order (another topic was behind) and the case is refolded from its timeline.
    last_position bigint  NOT NULL,
    state         jsonb   NOT NULL
);
