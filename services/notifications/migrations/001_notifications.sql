-- Where each case's citizen can be reached, from its ComplaintRegistered.
-- channel/address NULL: no way to reach them (anonymous, or no phone or e-mail given).
CREATE TABLE notifications.contacts (
    case_id         uuid    PRIMARY KEY,
    office          text    NOT NULL,
    service         text    NOT NULL,
    ticket_number   text    NOT NULL,
    request_channel text    NOT NULL,  -- the channel the request came through
    channel         text,              -- the channel answers go back through
    address         text,              -- personal data: phone or e-mail
    anonymous       boolean NOT NULL DEFAULT false
);

-- Every message rendered for a citizen, whether it could be sent or not.
CREATE TABLE notifications.messages (
    notification_id  uuid        PRIMARY KEY,  -- derived from (cause event, template)
    case_id          uuid        NOT NULL,
    cause_event_id   uuid        NOT NULL,
    channel          text,
    recipient        text,                     -- personal data, for the sender
    recipient_masked text,                     -- what staff and events see
    template         text        NOT NULL,
    body             text        NOT NULL,     -- Bahasa Indonesia
    status           text        NOT NULL CHECK (status IN ('recorded', 'sent', 'failed')),
    error            text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at          timestamptz
);
CREATE INDEX messages_case_idx ON notifications.messages (case_id, created_at);

-- Every read of a case's messages by staff.
CREATE TABLE notifications.access_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id       text        NOT NULL,
    office         text        NOT NULL,
    case_id        uuid        NOT NULL,
    purpose        text        NOT NULL,
    correlation_id uuid,
    at             timestamptz NOT NULL DEFAULT clock_timestamp()
);
