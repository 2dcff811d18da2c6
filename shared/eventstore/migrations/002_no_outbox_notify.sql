-- No NOTIFY on outbox inserts. PostgreSQL serialises the commits of every transaction that
-- sent a NOTIFY (one global lock held through the WAL flush, so queued notifications stay in
-- commit order): with it, each service wrote one commit at a time and group commit never
-- happened. The relay is woken in-process by the store instead (shared/eventstore/store.py),
-- and polls for events written by other processes.
DROP TRIGGER IF EXISTS outbox_notify ON eventstore.outbox;
DROP FUNCTION IF EXISTS eventstore.notify_outbox();
