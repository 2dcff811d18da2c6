-- Time travel: every view as of a moment. Each function sets analytics.as_of for its
-- one query (the views filter on the event time, occurred_at) and puts the setting back;
-- `office_id` narrows to one office (null: every office).

CREATE FUNCTION analytics.events_as_of(ts timestamptz, office_id text DEFAULT NULL)
RETURNS SETOF analytics.events LANGUAGE plpgsql AS $$
DECLARE
    before text := current_setting('analytics.as_of', true);
BEGIN
    PERFORM set_config('analytics.as_of', ts::text, true);
    RETURN QUERY SELECT * FROM analytics.events v WHERE office_id IS NULL OR v.office = office_id;
    PERFORM set_config('analytics.as_of', coalesce(before, ''), true);
END $$;
COMMENT ON FUNCTION analytics.events_as_of(timestamptz, text) IS
    'analytics.events as it stood at ts (events that occurred by then), optionally for one office.';

CREATE FUNCTION analytics.cases_as_of(ts timestamptz, office_id text DEFAULT NULL)
RETURNS SETOF analytics.cases LANGUAGE plpgsql AS $$
DECLARE
    before text := current_setting('analytics.as_of', true);
BEGIN
    PERFORM set_config('analytics.as_of', ts::text, true);
    RETURN QUERY SELECT * FROM analytics.cases v WHERE office_id IS NULL OR v.office = office_id;
    PERFORM set_config('analytics.as_of', coalesce(before, ''), true);
END $$;
COMMENT ON FUNCTION analytics.cases_as_of(timestamptz, text) IS
    'analytics.cases as it stood at ts (events that occurred by then), optionally for one office.';

CREATE FUNCTION analytics.transitions_as_of(ts timestamptz, office_id text DEFAULT NULL)
RETURNS SETOF analytics.transitions LANGUAGE plpgsql AS $$
DECLARE
    before text := current_setting('analytics.as_of', true);
BEGIN
    PERFORM set_config('analytics.as_of', ts::text, true);
    RETURN QUERY SELECT * FROM analytics.transitions v WHERE office_id IS NULL OR v.office = office_id;
    PERFORM set_config('analytics.as_of', coalesce(before, ''), true);
END $$;
COMMENT ON FUNCTION analytics.transitions_as_of(timestamptz, text) IS
    'analytics.transitions as it stood at ts (events that occurred by then), optionally for one office.';

CREATE FUNCTION analytics.sla_steps_as_of(ts timestamptz, office_id text DEFAULT NULL)
RETURNS SETOF analytics.sla_steps LANGUAGE plpgsql AS $$
DECLARE
    before text := current_setting('analytics.as_of', true);
BEGIN
    PERFORM set_config('analytics.as_of', ts::text, true);
    RETURN QUERY SELECT * FROM analytics.sla_steps v WHERE office_id IS NULL OR v.office = office_id;
    PERFORM set_config('analytics.as_of', coalesce(before, ''), true);
END $$;
COMMENT ON FUNCTION analytics.sla_steps_as_of(timestamptz, text) IS
    'analytics.sla_steps as it stood at ts (events that occurred by then), optionally for one office.';

CREATE FUNCTION analytics.ikm_answers_as_of(ts timestamptz, office_id text DEFAULT NULL)
RETURNS SETOF analytics.ikm_answers LANGUAGE plpgsql AS $$
DECLARE
    before text := current_setting('analytics.as_of', true);
BEGIN
    PERFORM set_config('analytics.as_of', ts::text, true);
    RETURN QUERY SELECT * FROM analytics.ikm_answers v WHERE office_id IS NULL OR v.office = office_id;
    PERFORM set_config('analytics.as_of', coalesce(before, ''), true);
END $$;
COMMENT ON FUNCTION analytics.ikm_answers_as_of(timestamptz, text) IS
    'analytics.ikm_answers as it stood at ts (events that occurred by then), optionally for one office.';

-- The analyst reads the schema and nothing else (no USAGE on the services' schemas, on
-- eventstore or analytics_private; no INSERT, UPDATE, DELETE anywhere).
GRANT USAGE ON SCHEMA analytics TO slrt_analyst;
GRANT SELECT ON analytics.events, analytics.cases, analytics.transitions, analytics.sla_steps,
    analytics.ikm_answers, analytics.offices, analytics.service_standards, analytics.days_off
    TO slrt_analyst;
