-- The audit log of reads of personal data (issue 16, point 6): who, what, when, why, and
-- whether it was allowed or refused. Append-only (a trigger refuses UPDATE, DELETE and
-- TRUNCATE) and hash-chained: each row carries the SHA-256 of the previous row's hash and
-- its own content, so a row removed behind the triggers' back breaks the chain where it
-- was (`shared.audit.verify`). One table per service schema ({schema}).
CREATE TABLE {schema}.audit_log (
    -- Assigned under the chain's lock (not a sequence: sequence numbers are taken before
    -- the lock, and could commit out of order).
    position       bigint      PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor          text        NOT NULL,            -- staff:<id>, or unauthenticated
    actor_office   text,
    roles          text[]      NOT NULL DEFAULT '{}',
    action         text        NOT NULL,            -- read_case, registry_lookup, ...
    subject        text        NOT NULL,            -- case:<uuid>, letter:<uuid>, nik:<keyed hash>
    office         text,                            -- whose data it is, where known
    purpose        text,                            -- why (a case, a stated purpose)
    outcome        text        NOT NULL,            -- allowed, or refused:<code>
    correlation_id uuid,
    prev_hash      text        NOT NULL,
    hash           text        NOT NULL
);
CREATE INDEX audit_log_office_idx ON {schema}.audit_log (office, position);
CREATE INDEX audit_log_actor_office_idx ON {schema}.audit_log (actor_office, position);

-- The content a row's hash covers, in one canonical text form (verify recomputes it).
CREATE FUNCTION {schema}.audit_hash(prev text, r {schema}.audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws(E'\x1f',
        prev, r.position::text,
        to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        r.actor, coalesce(r.actor_office, ''), array_to_string(r.roles, ','),
        r.action, r.subject, coalesce(r.office, ''), coalesce(r.purpose, ''),
        r.outcome, coalesce(r.correlation_id::text, '')), 'UTF8')), 'hex')
$$;

-- Chained on insert: one writer at a time (a transaction-scoped lock), so each row links
-- to the one committed before it. Write audit rows in short transactions of their own.
CREATE FUNCTION {schema}.audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(TG_TABLE_SCHEMA || '.audit_log', 0));
    SELECT position + 1, hash INTO NEW.position, NEW.prev_hash
    FROM {schema}.audit_log ORDER BY position DESC LIMIT 1;
    NEW.position := coalesce(NEW.position, 1);
    NEW.prev_hash := coalesce(NEW.prev_hash, 'genesis');
    NEW.hash := {schema}.audit_hash(NEW.prev_hash, NEW);
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON {schema}.audit_log
    FOR EACH ROW EXECUTE FUNCTION {schema}.audit_chain();

CREATE FUNCTION {schema}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON {schema}.audit_log
    FOR EACH ROW EXECUTE FUNCTION {schema}.audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {schema}.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.audit_append_only();
