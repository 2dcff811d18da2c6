"""Intake's identity index keeps keyed hashes, never the identifiers (issue 16, point 1):
over the real PostgreSQL and broker, after a synthetic person registers through intake's
HTTP doors (a WhatsApp message, the desk with NIK, phone and e-mail, a refused request),
no column of any intake table holds the NIK, the phone number or the e-mail address in
clear, nor does a refusal's message or details; the person is still recognised across
channels, the likely duplicate still found, "status <ticket>" from the citizen's own number
still recognised as the citizen's (and from another number not); the erasure still removes
the person's identifiers. Rows kept in clear before migration 009 are hashed by intake at
start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from services.casework.bootstrap import create_app as casework_app
from services.intake.adapters import repository as repo
from services.intake.bootstrap import MIGRATIONS
from services.intake.bootstrap import create_app as intake_app
from services.intake.domain.new_case import ToIdentify
from shared.contracts.streams import inbound_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import read_stream
from shared.infra import free_port
from shared.runtime import migrate_service
from shared.settings import Settings
from tests.integration.test_intake_channels import (
    META_SECRET,
    case_events,
    decided,
    meta_headers,
    registered,
    whatsapp_body,
)
from tests.sealed_rows import erase_when_known
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

OFFICE = "kupang"
NIK = "5371019912990077"
WA_PHONE = "6281299990077"  # as WhatsApp gives it
DESK_PHONE = "0812-9999-0077"  # the same number as typed at the desk
EMAIL = "Warga.Hash.Sintetis@Example.org"
STRANGER = "6281299990078"
# Every spelling of the person's identifiers that must not be found in clear.
NEEDLES = (
    NIK,
    WA_PHONE,
    DESK_PHONE,
    "+" + WA_PHONE,
    "081299990077",
    "99990077",
    EMAIL,
    EMAIL.lower(),
    "warga.hash",
)
DESK = auth(OFFICE, Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, staff_id="kpg-desk-hash")
DPO = auth(OFFICE, Role.DATA_PROTECTION_OFFICER, staff_id="kpg-dpo-hash")


@dataclass
class Office:
    intake: httpx.AsyncClient
    casework: httpx.AsyncClient
    pool: asyncpg.Pool


@pytest.fixture
async def office(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Office]:
    async with AsyncExitStack() as stack:
        apps = [
            intake_app(
                settings.model_copy(
                    update={"slrt_smtp_port": free_port(), "slrt_meta_app_secret": META_SECRET}
                )
            ),
            casework_app(settings),
        ]
        for app in apps:
            app.state.runtime.catch_up_seconds = 1.0
        intake, casework = [await stack.enter_async_context(running(app)) for app in apps]
        yield Office(intake, casework, pool)


async def clear_in_intake(pool: asyncpg.Pool, *needles: str) -> list[str]:
    """Every text, JSON and bytea column of every intake table searched for `needles`."""
    found: list[str] = []
    async with pool.acquire() as conn:
        columns = await conn.fetch(
            """SELECT c.table_name, c.column_name, c.data_type
               FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.table_schema = 'intake' AND t.table_type = 'BASE TABLE'
                 AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')"""
        )
        assert len(columns) > 20, columns  # the search did look
        for c in columns:
            column = f'"{c["column_name"]}"'
            probe = (
                f"position($1::text::bytea in {column})"
                if c["data_type"] == "bytea"
                else f"position($1 in {column}::text)"
            )
            for needle in needles:
                if await conn.fetchval(
                    f'SELECT count(*) FROM intake."{c["table_name"]}" WHERE {probe} > 0', needle
                ):
                    found.append(f"intake.{c['table_name']}.{c['column_name']}: {needle}")
    return found


async def whatsapp(office: Office, wamid: str, text: str, phone: str) -> dict[str, Any]:
    body = whatsapp_body(wamid, text, phone=phone)
    r = await office.intake.post(
        f"/v1/channels/whatsapp/{OFFICE}", content=body, headers=meta_headers(body)
    )
    assert r.status_code == 202, r.text
    return await decided(office.pool, r.json()["inbound_ids"][0])


async def own_citizen(office: Office, ticket: str, phone: str, wamid: str) -> bool:
    """What intake says of a "status <ticket>" from `phone`: the case's own citizen?"""
    asked = await whatsapp(office, wamid, f"status {ticket}", phone)
    assert asked["reason"] == "status_request", asked
    async with office.pool.acquire() as conn:
        events = await read_stream(conn, inbound_stream(asked["id"]))
    (asked_fact,) = [e for e in events if e.event_type == "StatusRequested"]
    return bool(asked_fact.data["own_citizen"])


async def test_identity_index_keeps_no_identifier_in_clear_and_still_recognises_the_person(
    office: Office,
) -> None:
    # The person writes on WhatsApp, then comes to the desk with NIK, phone and e-mail.
    first = await whatsapp(office, "wamid.HASH1", "Bantuan sembako belum cair", WA_PHONE)
    assert first["status"] == "accepted", first
    desk = await office.intake.post(
        "/v1/requests",
        json={
            "office": OFFICE,
            "service": "public-complaint",
            "channel": "walk_in",
            "applicant": {
                "name": "Warga Hash Sintetis",
                "nik": NIK,
                "phone": DESK_PHONE,
                "email": EMAIL,
            },
            "description": "Bantuan sembako belum cair",
        },
        headers=DESK,
    )
    assert desk.status_code == 201, desk.text
    second_id = UUID(desk.json()["case_id"])
    # A refused request: its decision is kept with the message, sealed like it.
    bad = await office.intake.post(
        "/v1/requests",
        json={
            "office": OFFICE,
            "service": "public-complaint",
            "channel": "walk_in",
            "applicant": {"name": "Warga Hash Sintetis", "nik": NIK[:15], "phone": DESK_PHONE},
            "description": "NIK salah ketik",
        },
        headers=DESK,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "nik_invalid", bad.text
    refused_id = bad.json()["error"]["details"]["inbound_id"]

    # Recognised across channels, and the likely duplicate found (same phone).
    a = await registered(office.pool, first["case_id"])
    b = await registered(office.pool, second_id)
    assert a["citizen_id"] == b["citizen_id"] is not None
    assert [e.event_type for e in await case_events(office.pool, second_id)] == [
        "ComplaintRegistered",
        "DuplicateSuspected",
    ]
    listed = (await office.intake.get("/v1/duplicates", headers=DESK)).json()["items"]
    assert [(d["case_id"], d["reason"]) for d in listed] == [(str(second_id), "same_phone")]

    # At rest: no identifier in clear in any intake table; the index holds their hashes.
    assert await clear_in_intake(office.pool, *NEEDLES, NIK[:15]) == []
    async with office.pool.acquire() as conn:
        reg = await conn.fetchrow(
            "SELECT nik, phone, nik_hash, phone_hash FROM intake.registrations WHERE case_id = $1",
            second_id,
        )
        kinds = await conn.fetch(
            """SELECT kind, value, value_hash FROM intake.citizen_identifiers
               WHERE citizen_id = $1 ORDER BY kind""",
            UUID(b["citizen_id"]),
        )
        refused = await conn.fetchrow(
            "SELECT reason, reason_message, reason_details FROM intake.inbound_messages "
            "WHERE id = $1",
            UUID(refused_id),
        )
    assert reg["nik"] is None and reg["phone"] is None
    assert bytes(reg["nik_hash"]) == repo.identifier_hash("nik", NIK)
    assert bytes(reg["phone_hash"]) == repo.identifier_hash("phone", "+" + WA_PHONE)
    assert [(k["kind"], k["value"], bytes(k["value_hash"])) for k in kinds] == [
        ("email", None, repo.identifier_hash("email", EMAIL.lower())),
        ("nik", None, repo.identifier_hash("nik", NIK)),
        ("phone", None, repo.identifier_hash("phone", "+" + WA_PHONE)),
    ]
    # The refusal's message and details: ciphertext at rest, in clear to its office's staff.
    assert refused["reason"] == "nik_invalid"
    assert "NIK" not in refused["reason_message"]
    assert isinstance(refused["reason_details"], str)  # sealed JSON, not the details object
    shown = (await office.intake.get(f"/v1/inbound/{refused_id}", headers=DESK)).json()
    assert "NIK" in shown["message"] and shown["details"]["field"] == "applicant.nik"
    listing = (await office.intake.get("/v1/inbound?status=rejected", headers=DESK)).json()
    assert [m["details"]["field"] for m in listing["items"] if m["id"] == refused_id] == [
        "applicant.nik"
    ]

    # "status <ticket>": the citizen's own number is recognised, another number is not.
    ticket = a["ticket_number"]
    assert await clear_in_intake(office.pool, ticket) != []  # the search finds what is there
    assert await own_citizen(office, ticket, WA_PHONE, "wamid.HASH2") is True
    assert await own_citizen(office, ticket, STRANGER, "wamid.HASH3") is False

    # The erasure of the desk case's person removes the person's identifiers.
    await erase_when_known(office.casework, second_id, reader=DESK, officer=DPO)

    async def forgotten() -> bool:
        async with office.pool.acquire() as conn:
            left = await conn.fetchval(
                "SELECT count(*) FROM intake.citizen_identifiers WHERE citizen_id = $1",
                UUID(b["citizen_id"]),
            )
            hashes = await conn.fetchval(
                """SELECT count(*) FROM intake.registrations
                   WHERE case_id = $1 AND (nik_hash IS NOT NULL OR phone_hash IS NOT NULL)""",
                second_id,
            )
        return bool(left == 0 and hashes == 0)

    await eventually(forgotten, timeout=30)
    # Nothing left to recognise the person by: the same number is nobody's own any more.
    assert await own_citizen(office, ticket, WA_PHONE, "wamid.HASH4") is False
    assert await clear_in_intake(office.pool, *NEEDLES) == []


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_rows_kept_in_clear_before_the_migration_are_hashed_at_start_up(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    assert settings.database_url is not None
    await migrate_service(settings.database_url, "intake", MIGRATIONS)
    older, newer, case_id, inbound_id = uuid4(), uuid4(), uuid4(), uuid4()
    async with pool.acquire() as conn:
        await repo.record_inbound(
            conn,
            inbound_id=inbound_id,
            received_at=NOW,
            source="test",
            content_type=None,
            headers={},
            body=b"",
            body_truncated=False,
            entered_by=None,
            entered_by_office=None,
            correlation_id=uuid4(),
        )
        await conn.executemany("INSERT INTO intake.citizens (id) VALUES ($1)", [(older,), (newer,)])
        # As written before migration 009: the identifiers and the NIK and phone in clear.
        await conn.executemany(
            """INSERT INTO intake.citizen_identifiers (kind, value, citizen_id, first_seen)
               VALUES ($1, $2, $3, $4)""",
            [
                ("nik", NIK, older, NOW),
                ("phone", "+" + WA_PHONE, older, NOW),
                ("email", EMAIL.lower(), older, NOW),
            ],
        )
        # Meanwhile a hashed row for the same e-mail, seen later, for another citizen: the
        # earlier one wins, as `intake.identify` finds the earliest.
        await conn.execute(
            """INSERT INTO intake.citizen_identifiers (kind, value_hash, citizen_id, first_seen)
               VALUES ('email', $1, $2, $3)""",
            repo.identifier_hash("email", EMAIL),
            newer,
            NOW + timedelta(days=1),
        )
        await conn.execute(
            """INSERT INTO intake.registrations (case_id, ticket_number, office, service,
                   channel, inbound_id, received_at, citizen_id, nik, phone)
               VALUES ($1, 'KPG-2026-999001', $2, 'public-complaint', 'walk_in', $3, $4, $5,
                   $6, $7)""",
            case_id,
            OFFICE,
            inbound_id,
            NOW,
            older,
            NIK,
            "+" + WA_PHONE,
        )

    app = intake_app(settings.model_copy(update={"slrt_smtp_port": free_port()}))
    async with running(app):
        pass  # the start-up is what hashes

    assert await clear_in_intake(pool, *NEEDLES) == []
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT kind, value, value_hash, citizen_id FROM intake.citizen_identifiers
               ORDER BY kind"""
        )
        reg = await conn.fetchrow(
            "SELECT nik, phone, nik_hash, phone_hash FROM intake.registrations WHERE case_id = $1",
            case_id,
        )
        # Found again by hash: the same citizen, and the registration as a likely duplicate.
        async with conn.transaction():
            found = await repo.identify_and_number(
                conn,
                ToIdentify(
                    identifiers=[("phone", "+" + WA_PHONE)],
                    new_id=uuid4(),
                    office=OFFICE,
                    service="public-complaint",
                    nik=NIK,
                    phone="+" + WA_PHONE,
                    since=NOW - timedelta(days=30),
                    prefix="KPG",
                    year=2026,
                ),
            )
    assert [(r["kind"], r["value"], bytes(r["value_hash"]), r["citizen_id"]) for r in rows] == [
        ("email", None, repo.identifier_hash("email", EMAIL), older),
        ("nik", None, repo.identifier_hash("nik", NIK), older),
        ("phone", None, repo.identifier_hash("phone", "+" + WA_PHONE), older),
    ]
    assert reg["nik"] is None and reg["phone"] is None
    assert bytes(reg["nik_hash"]) == repo.identifier_hash("nik", NIK)
    assert bytes(reg["phone_hash"]) == repo.identifier_hash("phone", "+" + WA_PHONE)
    assert found.citizen_id == older
    assert found.duplicate is not None
    assert (found.duplicate.case_id, found.duplicate.reason) == (case_id, "same_nik_and_service")
