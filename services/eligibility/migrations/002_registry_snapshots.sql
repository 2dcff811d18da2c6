-- The registry at national scale: one snapshot per loaded extract (DTKS or DTSEN), its
-- members in a partition of their own, exactly one snapshot current at a time.
--
-- An import loads a new standalone table, indexes it, then in one short transaction
-- attaches it as a partition and makes it current: lookups see the old snapshot until
-- that commit and the new one after it, never an empty or half-loaded registry. Older
-- snapshots stay attached: a person's listing history is a read across them.
DROP TABLE eligibility.registry_members;

CREATE TABLE eligibility.registry_snapshots (
    snapshot_id   integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        text        NOT NULL CHECK (source IN ('DTKS', 'DTSEN')),
    snapshot_date date        NOT NULL,
    origin        text        NOT NULL,      -- file name, 'demo', 'api'
    status        text        NOT NULL DEFAULT 'loading'
                  CHECK (status IN ('loading', 'current', 'superseded', 'failed')),
    rows_read     bigint,
    rows_loaded   bigint,
    rows_rejected bigint,
    error         text,                      -- why a failed import changed nothing
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz,
    superseded_at timestamptz
);
-- At most one current snapshot.
CREATE UNIQUE INDEX registry_snapshots_one_current
    ON eligibility.registry_snapshots ((true)) WHERE status = 'current';

-- Members of every loaded snapshot (personal data, UU 27/2022). Region codes are stored
-- once, as the village; province, regency and district are its prefixes.
-- programmes: canonical names in canonical order, ';'-joined: 'PKH;BPNT;PBI-JK;KIP'.
CREATE TABLE eligibility.registry_listings (
    snapshot_id  integer  NOT NULL,
    line_no      bigint   NOT NULL,          -- line of the extract the row came from
    nik          text     COLLATE "C" NOT NULL,  -- "C": indexes sort bytes, fast
    kk_number    text     COLLATE "C" NOT NULL,
    name         text     NOT NULL,
    sex          text     NOT NULL,          -- 'L' / 'P'
    birth_date   date,                     -- NULL only for members added through the API
    relation     text,
    address      text,
    village_code text     COLLATE "C" NOT NULL,          -- 35.08.01.2001
    decile       smallint,
    programmes   text,                     -- NULL: none
    status       text     NOT NULL
) PARTITION BY LIST (snapshot_id);

-- Rows an import refused, with the line and the reason: nothing is dropped silently.
CREATE TABLE eligibility.registry_rejects (
    snapshot_id integer NOT NULL REFERENCES eligibility.registry_snapshots,
    line_no     bigint  NOT NULL,
    reason      text    NOT NULL,            -- machine-readable code
    detail      text    NOT NULL DEFAULT '',
    raw         text    NOT NULL,            -- the line as received
    PRIMARY KEY (snapshot_id, line_no)
);

-- Corrections administrators made to the current snapshot through the API.
CREATE TABLE eligibility.registry_amendments (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id integer     NOT NULL REFERENCES eligibility.registry_snapshots,
    nik         text        NOT NULL,
    staff_id    text        NOT NULL,
    amended_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The members of the current snapshot, for analysts and ad-hoc reads.
CREATE VIEW eligibility.registry_members AS
SELECT l.*, s.source, s.snapshot_date
FROM eligibility.registry_listings l
JOIN eligibility.registry_snapshots s USING (snapshot_id)
WHERE s.status = 'current';
