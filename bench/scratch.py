"""A scratch stack for one measurement: a database and topics of its own on the server.

`python -m bench.drain` and `python -m bench.relay_wake` start the infrastructure
(`run_on_infra`), then measure in a fresh database with casework's migrations and its own
topic prefix (`fresh_casework`), so one run never sees another's events.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from uuid import uuid4

from shared.dbroles import create_database
from shared.infra import Infra, start_infra
from shared.kafka import ensure_topics
from shared.runtime import migrate_service
from shared.settings import Settings


async def fresh_casework(infra: Infra, prefix: str) -> tuple[Settings, str]:
    """A new database `<prefix>_<hex>` on `infra`'s server, migrated as casework's, and
    settings pointing at it whose topics (prefixed with its name) exist: (settings, dsn)."""
    name = f"{prefix}_{uuid4().hex[:8]}"
    dsn = await create_database(infra.database_url, name)
    settings = Settings(
        database_url=dsn,
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        kafka_enable_idempotence=infra.kafka_enable_idempotence,
        kafka_topic_prefix=f"{name}.",
    )
    await ensure_topics(settings)
    await migrate_service(dsn, "casework", None)
    return settings, dsn


def run_on_infra(prefix: str, measure: Callable[[Infra], Coroutine[Any, Any, None]]) -> None:
    """Start PostgreSQL and the broker (embedded unless SLRT_INFRA says otherwise) in a
    temporary directory `<prefix>…`, run `measure(infra)`, and stop them."""
    with tempfile.TemporaryDirectory(prefix=prefix) as data:
        Path(data).chmod(0o755)
        infra = start_infra(Path(data), mode=os.environ.get("SLRT_INFRA", "embedded"))
        try:
            asyncio.run(measure(infra))
        finally:
            infra.close()
