"""Run something once the connection's current transaction has committed.

`after_commit(conn, callback)`: `callback()` runs just after the `COMMIT` of the
transaction open on `conn` returns (what it wrote is then visible to everyone), and never
if that transaction rolls back (or its `COMMIT` fails). Whoever owns the transaction (a
unit of work, a consumer's batch, a group commit, a plain `conn.transaction()`) need do
nothing: the watch is asyncpg's query logger on the connection, which sees the
transaction's last statement and removes itself. With no transaction open on `conn`, what
it did is committed already: `callback()` runs at once.

A wake is what this is for (the outbox relay, the delivery worker). Each registration
runs once; with a `key`, a transaction runs one callback per key however often it was
registered under it (the event store wakes a relay once per transaction). Two cases run a
callback for nothing, which is harmless for a wake and the reason this is not the place
for anything that must not run then: a savepoint rolled back inside a transaction that
then commits does not take back what was registered under it; and a `COMMIT` sent for a
transaction that had already failed (PostgreSQL answers it with a rollback, no error) is
taken as a commit. Either way the woken finds nothing new.

Callbacks run from the event loop just after the `COMMIT` returns (asyncpg calls its
query loggers with `call_soon`), in the order they were registered; one that raises is
logged and does not stop the others.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import asyncpg

from shared.logging import get_logger

log = get_logger(__name__)

Callback = Callable[[], None]

# A transaction's last statement as asyncpg's `Transaction` (or a caller) sends it; a
# savepoint's `RELEASE SAVEPOINT ...` / `ROLLBACK TO ...` are longer and pass.
_COMMITS = frozenset({"COMMIT", "END"})
_ROLLBACKS = frozenset({"ROLLBACK", "ABORT"})
_LONGEST = max(len(v) for v in _COMMITS | _ROLLBACKS) + 4  # a ";" and spaces around


class _CommitWatch:
    """Watches one connection's queries until its transaction ends: on `COMMIT` it runs
    the callbacks registered in it, on `ROLLBACK` it forgets them; either way it removes
    itself."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.callbacks: list[Callback] = []
        self.keys: set[Hashable] = set()

    def __call__(self, record: Any) -> None:
        query = record.query
        if len(query) > _LONGEST:  # every other statement of the transaction: cheap to pass
            return
        verb = query.strip().rstrip(";").strip().upper()
        if verb not in _COMMITS and verb not in _ROLLBACKS:
            return
        self.conn.remove_query_logger(self)
        if _watches.get(self.conn) is self:
            del _watches[self.conn]
        if verb in _COMMITS and record.exception is None:
            _run(self.callbacks)


_watches: weakref.WeakKeyDictionary[asyncpg.Connection, _CommitWatch] = weakref.WeakKeyDictionary()


def _run(callbacks: Iterable[Callback]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception as exc:  # one failing wake does not keep the others asleep
            log.warning("after_commit_callback_failed", error=repr(exc))


def after_commit(
    conn: asyncpg.Connection, callback: Callback, *, key: Hashable | None = None
) -> None:
    """Run `callback()` once the transaction open on `conn` commits; never if it rolls
    back. No transaction open: at once. With a `key` already registered in this
    transaction: nothing more."""
    # A pooled connection is a proxy that dies at release; the query logger lives on
    # the connection itself.
    raw = conn._con if isinstance(conn, asyncpg.pool.PoolConnectionProxy) else conn
    if not raw.is_in_transaction():
        _run((callback,))
        return
    watch = _watches.get(raw)
    if watch is None:
        watch = _watches[raw] = _CommitWatch(raw)
        raw.add_query_logger(watch)
    if key is not None:
        if key in watch.keys:
            return
        watch.keys.add(key)
    watch.callbacks.append(callback)
