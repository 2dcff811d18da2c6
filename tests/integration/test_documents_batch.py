"""Documents takes a run of the facts it only records (registrations, DTKS answers,
dispositions and delegations) at once, one pipelined round per table (issue 15.1); the
tables come out as they do event by event, with the same rules (a checklist opened
once, an older DTKS answer or drafter never over a newer one). Real PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import orjson
import pytest

from services.documents.bootstrap import MIGRATIONS
from services.documents.entrypoints.consumers import batch_handler, handlers
from shared.catalogue import load_catalogue
from shared.consumer import Consumer, Record, store_origin
from shared.contracts import streams
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.events import CaseAssigned, DtksNotFound
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore, read_all
from shared.runtime import migrate_service
from shared.settings import Settings
from tests.integration.test_documents_service import register_case, store

pytestmark = pytest.mark.integration

__all__ = ["store"]  # the fixture, shared with the documents service tests
_TABLES = {"checklists": "case_id", "eligibility": "case_id", "dispositions": "case_id"}


async def _snapshot(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    async with pool.acquire() as conn:
        return {
            t: [
                {k: v for k, v in dict(r).items() if k != "updated_at"}
                for r in await conn.fetch(f"SELECT * FROM documents.{t} ORDER BY {key}")
            ]
            for t, key in _TABLES.items()
        }


async def _later_facts(pool: asyncpg.Pool, case_id: UUID) -> None:
    """After its DTKS answer: a newer answer, a disposition and a delegation."""
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="system:test")
    async with pool.acquire() as conn, conn.transaction():
        await EventStore("eligibility").append(
            conn,
            streams.eligibility_stream(case_id),
            1,
            [DtksNotFound(case_id=case_id, nik="3508014101900001", reason="not_listed")],
            meta,
        )
        await EventStore("casework").append(
            conn,
            f"case-{case_id}",
            0,
            [
                CaseAssigned(
                    case_id=case_id,
                    assignee="lmj-sub",
                    role=Role.SUB_COORDINATOR,
                    assigned_by="lmj-kepala",
                    kind="disposition",
                ),
                CaseDelegated(
                    case_id=case_id,
                    assignee="lmj-officer",
                    role=Role.OFFICER,
                    from_role=Role.SUB_COORDINATOR,
                    by="staff:lmj-sub",
                ),
            ],
            meta,
        )


def _records(envelopes: list[EventEnvelope]) -> list[Record]:
    return [
        Record(orjson.dumps(e.model_dump(mode="json")), e.event_type, store_origin(e))
        for e in envelopes
    ]


async def test_a_run_of_recorded_facts_gives_the_tables_event_by_event_gives(
    store: asyncpg.Pool, settings: Settings
) -> None:
    assert settings.database_url
    await migrate_service(settings.database_url, "documents", MIGRATIONS)
    cases = [await register_case(store) for _ in range(5)]
    for case_id in cases[:3]:
        await _later_facts(store, case_id)
    async with store.acquire() as conn:
        envelopes, _ = await read_all(conn, limit=100, opened=False)  # as published
    catalogue = load_catalogue(settings.slrt_catalogue_dir)
    docs = EventStore(owner="documents")

    one_by_one = Consumer(store, "documents", handlers(catalogue, docs))
    for e in envelopes:
        await one_by_one.deliver_batch(_records([e]))
    expected = await _snapshot(store)
    assert len(expected["checklists"]) == 5 and len(expected["dispositions"]) == 3
    assert {r["status"] for r in expected["eligibility"]} == {"verified", "not_found"}

    async with store.acquire() as conn:
        await conn.execute(
            "TRUNCATE documents.checklists, documents.eligibility, documents.dispositions,"
            " documents.processed_events"
        )
    runs: list[int] = []
    batched = Consumer(
        store, "documents", handlers(catalogue, docs), batch_handler=batch_handler(catalogue, docs)
    )
    original = batched.batch_handler
    assert original is not None

    async def counted(conn: asyncpg.Connection, run: Any) -> None:
        runs.append(len(run))
        await original.apply(conn, run)

    batched.batch_handler = type(original)(original.event_types, counted)
    await batched.deliver_batch(_records(envelopes))
    assert runs == [len(envelopes)]  # every one of them in one run
    assert await _snapshot(store) == expected
    # Delivered again (a redelivery): nothing changes.
    await batched.deliver_batch(_records(envelopes))
    assert runs == [len(envelopes)] and await _snapshot(store) == expected
