-- Walk 13, defect 4: a case's messages go out in the order their causes happened, with
-- the receipt (complaint_registered) first, whatever order the consumer applied the
-- events in (they come by different topics). The cause event's global position in the
-- event store; NULL for a message kept before this column (it counts as the oldest).
ALTER TABLE notifications.messages ADD COLUMN cause_position bigint;
