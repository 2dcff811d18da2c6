-- The staff web app's own schema: the staff directory, sign-in sessions, what happened at
-- sign-in (lock-outs included), who changed which account, and which office each case
-- belongs to (learnt from the events, to route live changes to the right open pages).

CREATE TABLE dashboard.accounts (
    account_id      uuid PRIMARY KEY,
    username        text        NOT NULL,
    office          text        NOT NULL,
    name            text        NOT NULL,
    email           text,
    roles           text[]      NOT NULL,
    password_hash   text        NOT NULL,
    active          boolean     NOT NULL DEFAULT true,
    failed_attempts integer     NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX accounts_username ON dashboard.accounts (lower(username));
CREATE INDEX accounts_office ON dashboard.accounts (office, name);

-- The cookie carries a random id; only its SHA-256 is kept, so this table alone does not
-- let anyone take over a session. account_id is null for the anonymous session that
-- carries the sign-in form's CSRF token; signing in always starts a new session.
CREATE TABLE dashboard.sessions (
    session_hash  text PRIMARY KEY,
    account_id    uuid REFERENCES dashboard.accounts (account_id),
    csrf_token    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    ended_reason  text
);
CREATE INDEX sessions_account ON dashboard.sessions (account_id) WHERE ended_at IS NULL;

CREATE TABLE dashboard.sign_in_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username    text        NOT NULL,
    account_id  uuid,
    outcome     text        NOT NULL,  -- signed_in, wrong_password, unknown_user, locked, inactive, locked_out
    client      text,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sign_in_attempts_account ON dashboard.sign_in_attempts (account_id, at);

CREATE TABLE dashboard.account_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  uuid        NOT NULL REFERENCES dashboard.accounts (account_id),
    changed_by  text        NOT NULL,  -- staff:<id>, or cli
    change      text        NOT NULL,  -- created, updated, password_reset, deactivated, reactivated
    details     jsonb       NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE dashboard.case_offices (
    case_id  uuid PRIMARY KEY,
    office   text NOT NULL
);
