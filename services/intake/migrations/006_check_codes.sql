-- The citizen's check code of each case (shared.check_codes): only its HMAC, never the
-- code. With the ticket number it opens the public status page (the portal asks intake's
-- internal API to verify a pair).
CREATE TABLE intake.check_codes (
    case_id       uuid PRIMARY KEY,
    ticket_number text        NOT NULL UNIQUE,
    office        text        NOT NULL,
    code_hash     text        NOT NULL,
    issued_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
