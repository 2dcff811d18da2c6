-- The lifecycle stage, the deadline clock and the work queue on the case row, and the ID
-- cards held at reception. Projections like the rest: every value comes from the events
-- (and the versioned catalogue), none from the clock, so a rebuild gives the same rows.

ALTER TABLE casework.cases
    ADD COLUMN stage            text        NOT NULL DEFAULT 'registered',
    ADD COLUMN stage_changed_at timestamptz,
    ADD COLUMN queue_role       text,        -- whose work queue holds the case now
    ADD COLUMN clock_number     integer,     -- 1, then one more per reopening
    ADD COLUMN clock_started_at timestamptz,
    ADD COLUMN budget_seconds   double precision,  -- the published time, in office seconds
    ADD COLUMN due_at           timestamptz, -- NULL: no deadline, or the clock is paused
    ADD COLUMN warn_at          timestamptz,
    ADD COLUMN clock_paused     boolean     NOT NULL DEFAULT false,
    ADD COLUMN clock_stopped_at timestamptz,
    ADD COLUMN warned           boolean     NOT NULL DEFAULT false,
    ADD COLUMN breached         boolean     NOT NULL DEFAULT false,
    ADD COLUMN escalated_to     text,
    ADD COLUMN open_referrals   integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_reminder_at timestamptz, -- the next follow-up of an open referral
    ADD COLUMN next_step_due_at timestamptz, -- the next budget of a procedure step (LK3)
    ADD COLUMN id_card_held     boolean     NOT NULL DEFAULT false,
    ADD COLUMN merged_into      uuid,
    ADD COLUMN forwarded_to     text;

CREATE INDEX cases_queue_idx ON casework.cases (office, queue_role, due_at);
CREATE INDEX cases_reminder_idx ON casework.cases (next_reminder_at)
    WHERE next_reminder_at IS NOT NULL;
CREATE INDEX cases_step_due_idx ON casework.cases (next_step_due_at)
    WHERE next_step_due_at IS NOT NULL;
CREATE INDEX cases_running_clock_idx ON casework.cases (due_at)
    WHERE clock_stopped_at IS NULL AND due_at IS NOT NULL;

-- Identity cards left at reception (Kupang), with or without a case, until returned.
CREATE TABLE casework.id_cards (
    visit_id     uuid        PRIMARY KEY,
    office       text        NOT NULL,
    case_id      uuid,
    card_kind    text        NOT NULL,
    held_by      text        NOT NULL,
    deposited_at timestamptz NOT NULL,
    returned_by  text,
    returned_at  timestamptz
);
CREATE INDEX id_cards_held_idx ON casework.id_cards (office) WHERE returned_at IS NULL;

-- The guest book at reception: one row per visit (queue number, purpose).
CREATE TABLE casework.visits (
    visit_id       uuid        PRIMARY KEY,
    office         text        NOT NULL,
    visit_date     date        NOT NULL,
    queue_number   text        NOT NULL,
    purpose        text        NOT NULL,
    checked_in_by  text        NOT NULL,
    signed_at      timestamptz NOT NULL
);
CREATE INDEX visits_office_date_idx ON casework.visits (office, visit_date, queue_number);
