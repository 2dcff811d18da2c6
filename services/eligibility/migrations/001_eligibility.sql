-- The registry extract eligibility checks against (DTKS, succeeded by DTSEN in 2025).
-- Small today (demo data and what administrators upsert); the columns are those of a
-- national extract, so growing means loading more rows, then partitioning by province
-- (left(region_code, 2)) — lookups are by NIK, the primary key, either way.
CREATE TABLE eligibility.registry_members (
    nik           text        PRIMARY KEY CHECK (nik ~ '^\d{16}$'),
    kk_number     text        NOT NULL CHECK (kk_number ~ '^\d{16}$'),
    name          text        NOT NULL,
    birth_date    date,
    relation      text,       -- kepala_keluarga, istri, anak, ...
    region_code   text        NOT NULL CHECK (region_code ~ '^\d{2}\.\d{2}\.\d{2}\.\d{4}$'),
    decile        smallint    CHECK (decile BETWEEN 1 AND 10),
    programmes    text[]      NOT NULL DEFAULT '{}',
    status        text        NOT NULL DEFAULT 'active',
    source        text        NOT NULL CHECK (source IN ('DTKS', 'DTSEN')),
    snapshot_date date        NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX registry_members_kk_idx ON eligibility.registry_members (kk_number);
CREATE INDEX registry_members_region_idx
    ON eligibility.registry_members (region_code text_pattern_ops);

-- Each check made for a case, newest last; staff read the latest. The office comes from
-- the consumed ComplaintRegistered, so a case of another office is refused without
-- asking any other service.
CREATE TABLE eligibility.checks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         uuid        NOT NULL,
    office          text        NOT NULL,
    service         text        NOT NULL,
    dtks_status     text        NOT NULL
                    CHECK (dtks_status IN ('verified', 'not_found', 'not_required', 'not_checked')),
    dtks_reason     text,       -- DtksNotFound.reason, or why nothing was checked
    domicile_status text        NOT NULL
                    CHECK (domicile_status IN ('verified', 'refused', 'not_required', 'not_checked')),
    events          jsonb       NOT NULL DEFAULT '[]',  -- [{event_type, event_id, data}]
    caused_by       uuid        NOT NULL,               -- the ComplaintRegistered event id
    checked_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX checks_case_idx ON eligibility.checks (case_id, id DESC);
