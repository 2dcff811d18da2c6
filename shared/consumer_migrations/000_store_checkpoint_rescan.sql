-- The store reader once ordered by the text of the writing transaction's id ("10" before
-- "9"), so a checkpoint taken then may have moved past events it never handed out. Read
-- the store again from its start: what this service already applied is left out in SQL
-- (read_all's `unless_processed_in`), so only what was skipped is applied.
UPDATE "{schema}".store_checkpoint SET transaction_id = 0, position = 0,
    updated_at = clock_timestamp();
