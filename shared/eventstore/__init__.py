"""The append-only event store on PostgreSQL, its outbox, and readers by position."""

from shared.eventstore.store import (
    Checkpoint,
    ConcurrencyError,
    EventStore,
    read_all,
    read_case,
    read_stream,
)

__all__ = ["Checkpoint", "ConcurrencyError", "EventStore", "read_all", "read_case", "read_stream"]
