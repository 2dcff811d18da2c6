"""A Kupang e-mail complaint that gives a phone number in its body is not asked for "fotokopi
KTP atau identitas diri lainnya dan/atau nomor HP": through intake's real SMTP door and
documents' consumer, on the real PostgreSQL and broker, the checklist opens with nothing
missing for the `lampiran` group, says the phone was given with the request, keeps no
number, and the rebuild gives the same rows. The same complaint without a number is still
asked for the group."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from services.documents.bootstrap import create_app as documents_app
from services.documents.service_layer.rebuild import rebuild_projections
from services.intake.bootstrap import create_app as intake_app
from shared.catalogue import load_catalogue
from shared.contracts.streams import checklist_stream, complaint_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import read_stream
from shared.infra import free_port
from shared.settings import Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-01")
PHONE_WRITTEN, PHONE = "0812-0000-0021", "+6281200000021"


@dataclass
class Office:
    smtp_port: int
    documents: httpx.AsyncClient
    pool: asyncpg.Pool


@pytest.fixture
async def office(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Office]:
    port = free_port()
    async with AsyncExitStack() as stack:
        apps = [
            intake_app(settings.model_copy(update={"slrt_smtp_port": port})),
            documents_app(settings),
        ]
        for app in apps:
            app.state.runtime.catch_up_seconds = 1.0
        _, documents = [await stack.enter_async_context(running(app)) for app in apps]
        yield Office(port, documents, pool)


def send_mail(port: int, body: str, message_id: str) -> None:
    msg = EmailMessage()
    msg["From"] = "Warga Contoh <warga.contoh@example.org>"
    msg["To"] = "dinsos@kupangkota.go.id"
    msg["Subject"] = "Pengaduan bantuan sembako"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


async def case_of(office: Office, message_id: str) -> UUID:
    async def registered() -> UUID | None:
        async with office.pool.acquire() as conn:
            row = await conn.fetchrow(
                """SELECT status, case_id FROM intake.inbound_messages
                   WHERE external_id = $1 AND status <> 'queued'""",
                message_id,
            )
        if row is None:
            return None
        assert row["status"] == "accepted", dict(row)
        case_id: UUID = row["case_id"]
        return case_id

    found: UUID = await eventually(registered, timeout=40)
    return found


async def checklist(office: Office, case_id: UUID) -> dict[str, Any]:
    async def view() -> dict[str, Any] | None:
        r = await office.documents.get(f"/v1/cases/{case_id}/checklist", headers=DESK)
        return r.json() if r.status_code == 200 else None

    found: dict[str, Any] = await eventually(view, timeout=40)
    return found


async def checklist_rows(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM documents.checklists ORDER BY case_id")
    return [{k: v for k, v in dict(r).items() if k != "updated_at"} for r in rows]


async def test_an_emailed_complaint_with_a_phone_number_is_not_asked_for_the_id_copy(
    office: Office,
) -> None:
    with_phone, without = "<with-phone@example.org>", "<without-phone@example.org>"
    body = (
        "Bantuan sembako keluarga kami berhenti sejak bulan lalu.\n"
        f"No. HP: {PHONE_WRITTEN}\n"
        "\n"
        "Warga Contoh\n"
        "\n"
        "> Dinas Sosial Kota Kupang, HP petugas 0812-0000-0022\n"
    )
    await asyncio.to_thread(send_mail, office.smtp_port, body, with_phone)
    await asyncio.to_thread(
        send_mail, office.smtp_port, "Bantuan sembako kami berhenti. Mohon dicek.", without
    )
    case_id, other = await case_of(office, with_phone), await case_of(office, without)

    # Intake: the sender's number, in E.164, on the registration.
    async with office.pool.acquire() as conn:
        registered = (await read_stream(conn, complaint_stream(case_id)))[0]
    assert registered.event_type == "ComplaintRegistered"
    assert registered.data["applicant"]["phone"] == PHONE
    assert registered.data["applicant"]["email"] == "warga.contoh@example.org"

    # Documents: the group is met by the request itself.
    view = await checklist(office, case_id)
    assert (view["service"], view["variant"]) == ("public-complaint", "general")
    assert view["missing"] == [] and view["missing_documents"] == []
    assert view["complete"] is True and view["given"] == ["phone_number"]
    assert view["received"] == []  # staff checked nothing
    items = {r["type"]: r for r in view["required"]}
    assert set(items) == {"id_card", "phone_number"}  # the original is shown at the desk only
    assert items["phone_number"]["given"] is True and items["phone_number"]["received"] is True
    assert items["phone_number"]["note"] == "Diberikan bersama permohonan"
    assert items["id_card"]["given"] is False and items["id_card"]["received"] is False

    decision = await office.documents.post(f"/v1/cases/{case_id}/checklist/decision", headers=DESK)
    assert decision.status_code == 200, decision.text
    assert decision.json()["complete"] is True
    assert decision.json()["message"] == "Dokumen persyaratan lengkap."
    async with office.pool.acquire() as conn:
        # Complete when it opened: nothing noted, and no RequirementsCompleted (as any
        # checklist complete with nothing received).
        assert await read_stream(conn, checklist_stream(case_id)) == []
        # The number itself is in no table of documents.
        tables = await conn.fetch(
            """SELECT table_name FROM information_schema.tables
               WHERE table_schema = 'documents' AND table_type = 'BASE TABLE'"""
        )
        for t in tables:
            hits = await conn.fetchval(
                f'SELECT count(*) FROM documents."{t["table_name"]}" x '
                "WHERE position('81200000021' in x::text) > 0"
            )
            assert hits == 0, t["table_name"]

    # Without a number the complaint is still asked for the copy or a phone number.
    other_view = await checklist(office, other)
    assert other_view["given"] == [] and other_view["complete"] is False
    assert other_view["missing"] == ["id_card|phone_number"]

    # The rebuild gives what the consumer gave.
    live = await checklist_rows(office.pool)
    by_case = {r["case_id"]: r for r in live}
    assert by_case[case_id]["given"] == ["phone_number"] and by_case[case_id]["complete"]
    assert by_case[other]["given"] == [] and not by_case[other]["complete"]
    report = await rebuild_projections(office.pool, CATALOGUE)
    assert report.checklists == 2
    assert await checklist_rows(office.pool) == live
