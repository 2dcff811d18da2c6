-- Casework's projections: folds over the event store, dropped and rebuilt by
-- `python -m services.casework rebuild`. No column here is filled from the clock:
-- every value comes from the events, so a rebuild gives the same rows.

-- One row per cross-service event of a case, without the applicant's personal data.
CREATE TABLE casework.case_timeline (
    event_id        uuid        PRIMARY KEY,
    case_id         uuid        NOT NULL,
    global_position bigint      NOT NULL,
    event_type      text        NOT NULL,
    stream_id       text        NOT NULL,
    actor           text        NOT NULL,
    channel         text,
    recorded_at     timestamptz NOT NULL,
    occurred_at     timestamptz NOT NULL,
    summary         text        NOT NULL,  -- one line in Bahasa Indonesia for staff
    data            jsonb       NOT NULL   -- the payload minus personal/confidential fields
);
CREATE INDEX case_timeline_case_idx ON casework.case_timeline (case_id, global_position);

-- The case as staff see it: the fold of its timeline rows in global-position order.
-- A row exists once the case's ComplaintRegistered has been projected.
CREATE TABLE casework.cases (
    case_id        uuid        PRIMARY KEY,
    office         text        NOT NULL,
    service        text        NOT NULL,
    variant        text,
    channel        text        NOT NULL,
    ticket_number  text        NOT NULL,
    status         text        NOT NULL,
    assigned_to    text,
    assignee_role  text,
    outcome        text,
    opened_at      timestamptz NOT NULL,
    resolved_at    timestamptz,
    last_position  bigint      NOT NULL,
    applicant_name text        -- personal data; NULL for anonymous requests
);
CREATE INDEX cases_office_status_idx ON casework.cases (office, status, opened_at DESC);

-- Every read of a case file by staff (not a projection: never rebuilt, never dropped).
CREATE TABLE casework.access_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id       text        NOT NULL,
    office         text        NOT NULL,
    case_id        uuid        NOT NULL,
    purpose        text        NOT NULL,  -- view | view_as_of
    correlation_id uuid,
    at             timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX access_log_case_idx ON casework.access_log (case_id, at);
