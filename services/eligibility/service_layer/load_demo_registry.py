"""Use case: load the synthetic demo extract (`fixtures/demo_registry.csv`) as a snapshot."""

from __future__ import annotations

import asyncpg

from services.eligibility.adapters import registry
from services.eligibility.service_layer.import_extract import import_extract


async def load_demo_registry(conn: asyncpg.Connection, *, only_if_empty: bool) -> int:
    """Import the demo extract; with `only_if_empty`, leave a loaded registry be."""
    if only_if_empty and await registry.current_snapshot(conn) is not None:
        return 0
    report = await import_extract(
        conn,
        registry.DEMO_CSV,
        source=registry.DEMO_SOURCE,
        snapshot_date=registry.DEMO_SNAPSHOT_DATE,
        origin="demo",
    )
    return report.rows_loaded
