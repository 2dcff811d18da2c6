-- Where a listing came from, when not from its snapshot's own extract (walk 13, defect 10).
-- An administrator's amendment (POST /v1/registry/members) names the registry (DTKS or
-- DTSEN) and the date of the extract it was taken from; the row keeps them, and a
-- verification reports them instead of the snapshot's. NULL: the snapshot's source and
-- date (every row an import loaded). Rows carried over from an earlier snapshot keep
-- theirs too. No CHECK here: a partition attached later must carry every CHECK of the
-- parent, and partitions are made `LIKE ... INCLUDING DEFAULTS`; the model validates.
-- Nullable without a default: adding them rewrites no partition.
ALTER TABLE eligibility.registry_listings
    ADD COLUMN row_source text,
    ADD COLUMN row_snapshot_date date;

-- What each amendment said it was taken from (NULL: made before this migration, when the
-- amended row took its snapshot's source and date).
ALTER TABLE eligibility.registry_amendments
    ADD COLUMN source text,
    ADD COLUMN snapshot_date date;

-- The members of the current snapshot, each with the source and date of its own row.
DROP VIEW eligibility.registry_members;
CREATE VIEW eligibility.registry_members AS
SELECT l.snapshot_id, l.line_no, l.nik, l.kk_number, l.name, l.sex, l.birth_date,
       l.relation, l.address, l.village_code, l.decile, l.programmes, l.status,
       coalesce(l.row_source, s.source) AS source,
       coalesce(l.row_snapshot_date, s.snapshot_date) AS snapshot_date
FROM eligibility.registry_listings l
JOIN eligibility.registry_snapshots s USING (snapshot_id)
WHERE s.status = 'current';
