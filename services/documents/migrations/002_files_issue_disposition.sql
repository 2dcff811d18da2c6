-- Scanned documents, completeness notes, dispositions, issuing, and the promised time.

-- The completion time the standard promised when the case was registered:
-- {value, unit, label, standard_version}. Snapshot, like `required`.
ALTER TABLE documents.checklists ADD COLUMN promise jsonb;
-- The last "documents missing" decision told to the citizen: ["ktp|kk", "kks"].
ALTER TABLE documents.checklists ADD COLUMN missing_noted jsonb;
ALTER TABLE documents.checklists ADD COLUMN missing_noted_at timestamptz;

-- Scans of received documents. Bytes live here, in the transaction of the
-- DocumentReceived event that names them (file_id, sha256): a refused or rolled-back
-- upload leaves nothing behind, and a backup of the database is a backup of the files.
CREATE TABLE documents.files (
    file_id       uuid PRIMARY KEY,
    -- No foreign key to checklists: a rebuild of the projections empties and refills
    -- them, while the files (primary data, not a projection) stay.
    case_id       uuid        NOT NULL,
    document_type text        NOT NULL,
    form          text        NOT NULL CHECK (form IN ('original', 'copy')),
    content_type  text        NOT NULL
        CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          integer     NOT NULL CHECK (size > 0),
    sha256        text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    filename      text,
    content       bytea       NOT NULL,
    uploaded_by   text        NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (octet_length(content) = size)
);
CREATE INDEX files_case_idx ON documents.files (case_id, uploaded_at);

-- Who is to draft a case's letter, where the chain starts with a disposition (Kupang).
CREATE TABLE documents.dispositions (
    case_id      uuid PRIMARY KEY,
    assignee     text        NOT NULL,
    assigned_by  text        NOT NULL,
    note         text        NOT NULL DEFAULT '',
    version      integer     NOT NULL,  -- of the disposition stream
    assigned_at  timestamptz NOT NULL
);

-- Handing the signed letter to the citizen (LetterIssued).
ALTER TABLE documents.letters ADD COLUMN issued_at timestamptz;
ALTER TABLE documents.letters ADD COLUMN issued_channel text;
ALTER TABLE documents.letters ADD COLUMN issued_by text;

-- A letter number is unique within its office, not across offices: Mataram's and
-- Pariaman's codes are both "Dinsos", so both have a 400.9/0001/Dinsos/XI/2026.
ALTER TABLE documents.letters DROP CONSTRAINT letters_letter_number_key;
CREATE UNIQUE INDEX letters_office_number ON documents.letters (office, letter_number);
