-- Issue 14: the consumer records what must be sent; a delivery worker sends it.

-- The citizen's own message to thread an e-mail answer to, and their last message on the
-- contact's channel (WhatsApp's 24-hour customer-care window).
ALTER TABLE notifications.contacts
    ADD COLUMN thread_ref      text,
    ADD COLUMN last_inbound_at timestamptz;

-- status: recorded (kept, nobody to contact) | pending (for the worker; `reason` says why
-- it waits: channel_not_configured, or the last attempt's error) | task (no machine to
-- send to: a staff call-back or print list) | sent (NotificationDelivered recorded) |
-- failed (NotificationFailed recorded: refused, or the retries ran out).
ALTER TABLE notifications.messages DROP CONSTRAINT messages_status_check;
ALTER TABLE notifications.messages
    ADD CONSTRAINT messages_status_check
        CHECK (status IN ('recorded', 'pending', 'task', 'sent', 'failed')),
    ADD COLUMN letter_id           uuid,
    ADD COLUMN reason              text,
    ADD COLUMN attempts            integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at     timestamptz,  -- NULL: not scheduled
    ADD COLUMN task_kind           text,         -- call_back | print
    ADD COLUMN provider_message_id text,
    ADD COLUMN delivered_how       text,
    ADD COLUMN delivered_by        text,         -- staff who called, handed over, posted
    ADD COLUMN provider_status     text,         -- sent | delivered | read (the provider's)
    ADD COLUMN provider_status_at  timestamptz;

CREATE INDEX messages_due_idx ON notifications.messages (next_attempt_at)
    WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
CREATE INDEX messages_open_idx ON notifications.messages (status)
    WHERE status IN ('pending', 'task', 'failed');
CREATE UNIQUE INDEX messages_provider_idx
    ON notifications.messages (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- Every status a provider reported (WhatsApp's webhook, through intake), matched to a
-- message or not yet (a status may come before the worker recorded the provider's id).
CREATE TABLE notifications.provider_statuses (
    channel             text        NOT NULL,
    provider_message_id text        NOT NULL,
    status              text        NOT NULL,
    reported_at         timestamptz NOT NULL,
    errors              text[]      NOT NULL DEFAULT '{}',
    event_id            uuid        NOT NULL,
    applied             boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (channel, provider_message_id, status)
);

-- A read of the staff task list concerns no single case.
ALTER TABLE notifications.access_log ALTER COLUMN case_id DROP NOT NULL;
