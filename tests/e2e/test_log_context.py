"""Log context is cleared between messages (issue 12, point 9), over the real processes: a
case goes through casework, then an outside client publishes an undecodable message to a
topic casework consumes; casework's dead-letter log line carries no case id."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_slices import case_view, h, wait_for

pytestmark = pytest.mark.e2e

NIK = "3508014101900093"  # synthetic, Lumajang


def _log_lines(stack: Stack, service: str) -> list[dict[str, Any]]:
    assert stack.log_dir is not None
    out = []
    for line in (stack.log_dir / f"{service}.log").read_text(errors="replace").splitlines():
        if line.startswith("{"):
            out.append(orjson.loads(line))
    return out


def test_a_dead_letter_line_carries_no_earlier_cases_id(stack: Stack) -> None:
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=h("lumajang", Role.FRONT_OFFICE),
            json={
                "office": "lumajang",
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {"name": "Warga Contoh Log", "nik": NIK},
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        wait_for(lambda: case_view(c, stack, case_id, "lumajang"), what="the case in casework")
    wait_for(
        lambda: any(
            x.get("case_id") == case_id and x["event"] == "event_handled"
            for x in _log_lines(stack, "casework")
        ),
        what="casework logging a message of the case with its id",
    )

    # An outside client sends garbage to a topic only casework consumes.
    garbage = f"not an envelope {uuid.uuid4().hex}".encode()

    async def publish() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=stack.infra.kafka_bootstrap_servers, enable_idempotence=False
        )
        await producer.start()
        try:
            await producer.send_and_wait(
                "e2e.slrt.notifications.events", garbage, key=b"outside-client"
            )
        finally:
            await producer.stop()

    async def dead_lettered() -> bool:
        conn = await asyncpg.connect(stack.infra.database_url)
        try:
            return bool(
                await conn.fetchval(
                    "SELECT count(*) FROM casework.dead_letters WHERE raw = $1", garbage
                )
            )
        finally:
            await conn.close()

    asyncio.run(publish())
    wait_for(lambda: asyncio.run(dead_lettered()), what="casework dead-lettering the garbage")
    lines = wait_for(
        lambda: [
            x
            for x in _log_lines(stack, "casework")
            if x["event"] == "event_dead_lettered" and x.get("topic") == "slrt.notifications.events"
        ],
        what="casework's dead-letter log line",
    )
    for line in lines:
        assert line["reason"].startswith("undecodable"), line
        assert line["service"] == "casework"
        assert "case_id" not in line and "correlation_id" not in line, line
        assert case_id not in orjson.dumps(line).decode()
