-- Staff notices owed by e-mail are sent by the delivery worker (issue 14), with the same
-- retries as citizens' messages: attempts, when the next one is due, what was sent.
ALTER TABLE notifications.staff_inbox
    ADD COLUMN email_attempts        integer     NOT NULL DEFAULT 0,
    ADD COLUMN email_next_attempt_at timestamptz,
    ADD COLUMN email_sent_at         timestamptz,
    ADD COLUMN email_provider_id     text;
UPDATE notifications.staff_inbox SET email_next_attempt_at = created_at
WHERE email_status = 'pending';
CREATE INDEX staff_inbox_email_due_idx ON notifications.staff_inbox (email_next_attempt_at)
    WHERE email_status = 'pending';
