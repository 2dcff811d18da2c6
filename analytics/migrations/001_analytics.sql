-- The analysts' schema: documented views over the event store, and the read-only role
-- that may read them and nothing else. Owned by the migrating role, so the views read
-- eventstore.events with its rights while slrt_analyst cannot read the table itself.
-- Run once per database by shared.runtime.migrate_service (after the event store's).

-- The role is cluster-wide; two databases migrating at once may both try to create it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slrt_analyst') THEN
        CREATE ROLE slrt_analyst NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

COMMENT ON SCHEMA analytics IS
    'For analysts: views over the event store without personal data. Read as slrt_analyst.';

-- What only the views may read (the HMAC key of the pseudonyms): no USAGE for analysts.
CREATE SCHEMA IF NOT EXISTS analytics_private;
REVOKE ALL ON SCHEMA analytics_private FROM PUBLIC;
CREATE TABLE analytics_private.pepper (
    only_one boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    -- HMAC-SHA256 (RFC 2104) in plain SQL with the built-in sha256(): the key padded to
    -- the 64-byte block and XOR-ed with ipad / opad, written here at start-up from
    -- SLRT_ANALYTICS_PEPPER (analytics/reference.py). PostgreSQL's pgcrypto is not part
    -- of the embedded server, so hmac() is not used.
    k_ipad bytea NOT NULL CHECK (length(k_ipad) = 64),
    k_opad bytea NOT NULL CHECK (length(k_opad) = 64)
);

-- ---- reference data, written at start-up from the catalogue and the calendar ----------

CREATE TABLE analytics.offices (
    office      text PRIMARY KEY,
    name        text NOT NULL,
    utc_offset  interval NOT NULL,   -- WIB +07, WITA +08, WIT +09 (no daylight saving)
    zone_abbrev text NOT NULL
);
COMMENT ON TABLE analytics.offices IS
    'The offices of the catalogue: id, name, UTC offset of their time zone (WIB/WITA/WIT).';

CREATE TABLE analytics.service_standards (
    office      text NOT NULL,
    service     text NOT NULL,
    channel     text NOT NULL,  -- '*' = every channel without its own published time
    name        text NOT NULL,
    time_value  integer NOT NULL,
    time_unit   text NOT NULL CHECK (time_unit IN ('minutes', 'hours', 'working_days')),
    PRIMARY KEY (office, service, channel)
);
COMMENT ON TABLE analytics.service_standards IS
    'Published completion time per office, service and channel (catalogue/*.yaml).';

CREATE TABLE analytics.days_off (
    day  date PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE analytics.days_off IS
    'Indonesian public holidays and cuti bersama (the holidays package, as casework counts).';

-- ---- helpers (plain SQL, inlined by the planner) ----------------------------------------

-- The moment every view is seen at: the session setting analytics.as_of, else no limit.
-- `SET analytics.as_of = '2026-11-30 23:59+07'` makes every view answer as of then; the
-- *_as_of(ts) functions do this for one query.
CREATE FUNCTION analytics.as_of() RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('analytics.as_of', true), '')::timestamptz,
                    'infinity'::timestamptz)
$$;
COMMENT ON FUNCTION analytics.as_of() IS
    'The moment the views are seen at: setting analytics.as_of, or infinity (everything).';

CREATE FUNCTION analytics.is_working_day(d date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT extract(isodow FROM d) < 6
       AND NOT EXISTS (SELECT 1 FROM analytics.days_off o WHERE o.day = d)
$$;
COMMENT ON FUNCTION analytics.is_working_day(date) IS
    'Monday to Friday and not a public holiday or cuti bersama.';

-- Working days from the local day after `a` up to and including the local day of `b`:
-- 0 when closed on the day it was opened; a day off in between does not count.
CREATE FUNCTION analytics.working_days_between(a timestamptz, b timestamptz, utc_offset interval)
RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE (
        SELECT count(*)::integer
        FROM generate_series(((a AT TIME ZONE utc_offset)::date + 1)::timestamp,
                             ((b AT TIME ZONE utc_offset)::date)::timestamp,
                             interval '1 day') AS d
        WHERE extract(isodow FROM d) < 6
          AND NOT EXISTS (SELECT 1 FROM analytics.days_off o WHERE o.day = d::date)
    ) END
$$;
COMMENT ON FUNCTION analytics.working_days_between(timestamptz, timestamptz, interval) IS
    'Working days after the local day of a up to the local day of b (0: same day).';

-- When `n` working days from `start` are over: the same office time on the n-th working day
-- after the local day of `start` (from a day off, the closing time, 16:00). Minutes and
-- hours are added as they are (casework counts office minutes; analysts who need that
-- exactness use the breaches casework recorded, column `breached`).
CREATE FUNCTION analytics.due_after(start timestamptz, time_value integer, time_unit text,
                                    utc_offset interval)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE time_unit
        WHEN 'minutes' THEN start + make_interval(mins => time_value)
        WHEN 'hours' THEN start + make_interval(hours => time_value)
        WHEN 'working_days' THEN (
            SELECT (d + CASE WHEN analytics.is_working_day((start AT TIME ZONE utc_offset)::date)
                             THEN (start AT TIME ZONE utc_offset)::time
                             ELSE time '16:00' END) AT TIME ZONE utc_offset
            FROM (SELECT d::date AS d
                  FROM generate_series(((start AT TIME ZONE utc_offset)::date + 1)::timestamp,
                                       ((start AT TIME ZONE utc_offset)::date
                                        + 10 + time_value * 3)::timestamp,
                                       interval '1 day') AS d
                  WHERE analytics.is_working_day(d::date)
                  ORDER BY d
                  OFFSET greatest(time_value - 1, 0) LIMIT 1) w
        )
    END
$$;
COMMENT ON FUNCTION analytics.due_after(timestamptz, integer, text, interval) IS
    'The due time of a published completion time started at start, in office working days.';
