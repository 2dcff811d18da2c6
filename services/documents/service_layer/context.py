"""What a use case needs from the running service, handed in by the entrypoint."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.catalogue import Catalogue
from shared.eventstore.store import EventStore


@dataclass(frozen=True)
class Context:
    pool: asyncpg.Pool
    store: EventStore
    catalogue: Catalogue
