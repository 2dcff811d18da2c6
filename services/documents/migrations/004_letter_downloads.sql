-- Every one-time download of a signed letter (GET /v1/letters/{id}/download?code=...).
-- The code itself is never kept: only its SHA-256. The primary key makes a code usable
-- once: a second use finds its row and is refused. Not a projection (no event behind
-- it), so `rebuild` leaves it alone, like documents.files.
CREATE TABLE documents.letter_downloads (
    code_sha256   text        PRIMARY KEY CHECK (code_sha256 ~ '^[0-9a-f]{64}$'),
    letter_id     uuid        NOT NULL,
    case_id       uuid        NOT NULL,
    expires_at    timestamptz NOT NULL,
    downloaded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX letter_downloads_letter_idx ON documents.letter_downloads (letter_id, downloaded_at);
