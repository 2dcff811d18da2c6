-- Staff are told too (issue 14): each notice to one member of staff or to a role at the
-- office, with whether an e-mail is owed (pending, for the delivery worker) or no
-- address is known.
CREATE TABLE notifications.staff_inbox (
    notice_id     uuid        PRIMARY KEY,  -- derived from (cause event, recipient)
    office        text        NOT NULL,
    staff_id      text,                     -- one member of staff, or
    role          text,                     -- everyone of a role at the office
    case_id       uuid        NOT NULL,
    kind          text        NOT NULL,
    text          text        NOT NULL,     -- Bahasa Indonesia
    email_status  text        NOT NULL CHECK (email_status IN ('pending', 'no_address', 'sent', 'failed')),
    email_reason  text,
    email_to      text,                     -- personal data: the staff member's address
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    read_at       timestamptz,
    CHECK ((staff_id IS NULL) <> (role IS NULL))
);
CREATE INDEX staff_inbox_staff_idx ON notifications.staff_inbox (office, staff_id, created_at DESC);
CREATE INDEX staff_inbox_role_idx ON notifications.staff_inbox (office, role, created_at DESC);

-- Who owns a case now (CaseAssigned, CaseDelegated): deadlines are told to them.
CREATE TABLE notifications.case_owners (
    case_id   uuid PRIMARY KEY,
    office    text NOT NULL,
    staff_id  text NOT NULL
);

-- A letter's approval chain and drafter (LetterDrafted): whose step it waits at next.
CREATE TABLE notifications.letter_chains (
    letter_id   uuid PRIMARY KEY,
    case_id     uuid   NOT NULL,
    chain       text[] NOT NULL,
    drafted_by  text   NOT NULL
);
