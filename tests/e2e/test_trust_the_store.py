"""Consumers trust the store, not the wire (issue 16.3), over the five real processes.

A `ComplaintRegistered` that was never in the event store, for a case that does not exist,
published on intake's event topic by an outside Kafka client (confluent-kafka): no service
acts on it. Notifications records no message, documents opens no checklist, eligibility
appends no DTKS result, casework has no case; each consumer dead-letters it as
`not_in_store` with its original key and headers.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from shared.contracts.base import EventEnvelope
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel, Role
from shared.db import connect
from shared.devstack import Stack
from tests.e2e.test_slices import h, wait_for
from tests.outside_kafka import produce

pytestmark = pytest.mark.e2e

PREFIX = "e2e."  # the stack's KAFKA_TOPIC_PREFIX (tests/e2e/conftest.py)
CONSUMERS = ("eligibility", "documents", "casework", "notifications")


def _forged() -> EventEnvelope:
    case_id = uuid.uuid4()
    event = ComplaintRegistered(
        case_id=case_id,
        ticket_number="LMJ-2026-999999",
        office="lumajang",
        service="kks-recommendation",
        variant="reset-pin",
        channel=Channel.WHATSAPP,
        applicant=Applicant(name="Warga Palsu", nik="3508010101909999", phone="+6281299990009"),
        received_at=datetime.now(UTC),
    )
    now = datetime.now(UTC)
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type=event.event_type,
        schema_version=event.schema_version,
        stream_id=f"complaint-{case_id}",
        stream_version=1,
        global_position=1,
        case_id=case_id,
        office="lumajang",
        correlation_id=uuid.uuid4(),
        actor="system:intake",
        channel="whatsapp",
        occurred_at=now,
        recorded_at=now,
        data=event.model_dump(mode="json"),
    )


async def _rows(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await connect(dsn)  # with the JSON codecs
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def test_a_forged_complaint_on_the_wire_changes_nothing_and_is_dead_lettered(
    stack: Stack,
) -> None:
    bootstrap, dsn = stack.infra.kafka_bootstrap_servers, stack.infra.database_url
    assert bootstrap and dsn
    forged = _forged()
    key = str(forged.case_id).encode()
    headers = {
        "event_type": forged.event_type,
        "event_id": str(forged.event_id),
        "correlation_id": str(forged.correlation_id),
    }
    produce(
        bootstrap,
        PREFIX + ComplaintRegistered.topic,
        orjson.dumps(forged.model_dump(mode="json")),
        key=key,
        headers=headers,
    )

    def dead_everywhere() -> list[asyncpg.Record] | None:
        rows = [
            row
            for service in CONSUMERS
            for row in asyncio.run(
                _rows(
                    dsn,
                    f"SELECT '{service}' AS service, * FROM {service}.dead_letters"
                    " WHERE event_id = $1",
                    forged.event_id,
                )
            )
        ]
        return rows if len(rows) == len(CONSUMERS) else None

    dead = wait_for(dead_everywhere, timeout=60, what="not_in_store dead letters")
    for row in dead:
        assert row["reason_code"] == "not_in_store", row["service"]
        assert row["reason"].startswith("not_in_store: ")
        assert row["key"] == key and dict(row["headers"]) == headers

    # Nothing happened for that case: no event appended by anyone, no views.
    events = asyncio.run(
        _rows(dsn, "SELECT event_type FROM eventstore.events WHERE case_id = $1", forged.case_id)
    )
    assert events == []
    for service in CONSUMERS:
        processed = asyncio.run(
            _rows(
                dsn,
                f"SELECT 1 FROM {service}.processed_events WHERE event_id = $1",
                forged.event_id,
            )
        )
        assert processed == [], service
    staff = h("lumajang", Role.FRONT_OFFICE, Role.OFFICER)
    with httpx.Client(timeout=10) as c:
        told = c.get(
            f"{stack.url('notifications')}/v1/cases/{forged.case_id}/notifications", headers=staff
        )
        assert told.status_code == 404 or told.json().get("notifications", []) == [], told.text
        checklist = c.get(
            f"{stack.url('documents')}/v1/cases/{forged.case_id}/checklist", headers=staff
        )
        assert checklist.status_code == 404, checklist.text
        eligibility = c.get(
            f"{stack.url('eligibility')}/v1/cases/{forged.case_id}/eligibility", headers=staff
        )
        assert eligibility.status_code == 404, eligibility.text
        case = c.get(f"{stack.url('casework')}/v1/cases/{forged.case_id}", headers=staff)
        assert case.status_code == 404, case.text
