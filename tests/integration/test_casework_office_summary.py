"""`GET /v1/work/summary`: the office's figures for the head's dashboard, over real
PostgreSQL, from registrations appended to the store as intake would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.casework.bootstrap import create_app
from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.streams import complaint_stream
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, stream_version
from shared.settings import Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

HEAD = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head-01")
DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-01")


async def registered(
    pool: asyncpg.Pool, channel: Channel, received_at: datetime, office: str = "kupang"
) -> UUID:
    case_id = uuid4()
    event = ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"KPG-2026-{uuid4().int % 10**6:06d}",
        office=office,
        service="public-complaint",
        variant="general",
        channel=channel,
        applicant=Applicant(name="Warga Contoh", phone="081200000901"),
        description="Pengaduan uji (data sintetis).",
        received_at=received_at,
    )
    meta = EventMetadata(case_id=case_id, office=office, actor="system:intake")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, complaint_stream(case_id))
        await EventStore("intake").append(conn, complaint_stream(case_id), version, [event], meta)
    return case_id


async def test_the_office_figures_by_channel_service_open_overdue_and_sla(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    now = datetime.now(UTC)
    today = now - timedelta(minutes=5)
    long_ago = now - timedelta(days=60)
    app = create_app(settings)
    async with running(app) as client:
        runtime = app.state.runtime
        cases = [
            await registered(pool, Channel.WALK_IN, today),
            await registered(pool, Channel.WALK_IN, today),
            await registered(pool, Channel.WHATSAPP, today),
            await registered(pool, Channel.LETTER, long_ago),  # overdue by now
            await registered(pool, Channel.WALK_IN, today, office="lumajang"),  # not this office
        ]

        async def folded() -> bool:
            await runtime.consumer.catch_up()
            async with pool.acquire() as conn:
                n = await conn.fetchval(
                    "SELECT count(*) FROM casework.cases WHERE case_id = ANY($1::uuid[])", cases
                )
            return bool(n == len(cases))

        await eventually(folded)
        since = (now - timedelta(hours=1)).isoformat()
        r = await client.get("/v1/work/summary", params={"since": since}, headers=HEAD)
        assert r.status_code == 200, r.text
        today_figures = r.json()
        assert today_figures["office"] == "kupang"
        assert today_figures["registered"] == 3
        assert today_figures["by_channel"] == [
            {"channel": "walk_in", "count": 2},
            {"channel": "whatsapp", "count": 1},
        ]
        assert today_figures["by_service"] == [
            {"service": "public-complaint", "variant": "general", "count": 3}
        ]
        assert (today_figures["open"], today_figures["overdue"]) == (4, 1)
        assert (today_figures["resolved"], today_figures["sla_compliance"]) == (0, None)

        quarter = (now - timedelta(days=90)).isoformat()
        r = await client.get("/v1/work/summary", params={"since": quarter}, headers=DESK)
        assert r.json()["registered"] == 4
        assert {"channel": "letter", "count": 1} in r.json()["by_channel"]

        wrong = await client.get(
            "/v1/work/summary", params={"since": since, "until": quarter}, headers=HEAD
        )
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "invalid_period")
        nobody = await client.get(
            "/v1/work/summary", params={"since": since}, headers=auth("kupang", Role.ADMIN)
        )
        assert nobody.status_code == 403
