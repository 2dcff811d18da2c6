"""What the citizen sent, sealed at rest and shredded by erasure (issue 16, point 1): over
the real PostgreSQL and broker, with intake, documents and casework running, a synthetic
person's letter (the raw message), its scan as an attachment, and the KTP scan staff
upload to documents are ciphertext in their tables; staff of the office read them in
clear through the HTTP APIs; after the data protection officer's erasure every answer
says erased (410 for the files), no table holds the plaintext, and a second erasure or a
redelivery of the erasure changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest

from services.casework.bootstrap import create_app as casework_app
from services.documents.adapters.unit_of_work import PostgresDocumentsUnitOfWork
from services.documents.bootstrap import create_app as documents_app
from services.documents.service_layer.when_personal_data_erased_forget import (
    forget_erased_person,
)
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.bootstrap import create_app as intake_app
from services.intake.service_layer.when_personal_data_erased_forget import (
    forget_erased_person as intake_forget,
)
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.streams import erasure_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore, read_stream
from shared.infra import free_port
from shared.personal import ERASED_TEXT
from shared.settings import Settings
from tests.fake_graph import PNG_1PX, small_pdf
from tests.integration.test_intake_attachments import announced
from tests.integration.test_intake_channels import decided
from tests.sealed_rows import erase_when_known
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

OFFICE = "kupang"
NAME, NIK, PHONE = "Warga Tersegel Sintetis", "5371019912990042", "081299990042"
SUMMARY = f"Saya {NAME} (NIK {NIK}) belum menerima bantuan sembako bulan ini."
DESK = auth(OFFICE, Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, staff_id="kpg-desk-seal")
DPO = auth(OFFICE, Role.DATA_PROTECTION_OFFICER, staff_id="kpg-dpo-seal")
SCHEMAS = ("intake", "documents")


@dataclass
class Office:
    intake: httpx.AsyncClient
    documents: httpx.AsyncClient
    casework: httpx.AsyncClient
    pool: asyncpg.Pool


@pytest.fixture
async def office(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Office]:
    async with AsyncExitStack() as stack:
        apps = [
            intake_app(settings.model_copy(update={"slrt_smtp_port": free_port()})),
            documents_app(settings),
            casework_app(settings),
        ]
        for app in apps:
            app.state.runtime.catch_up_seconds = 1.0
        intake, documents, casework = [
            await stack.enter_async_context(running(app)) for app in apps
        ]
        yield Office(intake, documents, casework, pool)


async def _plaintext_in(pool: asyncpg.Pool, *needles: bytes) -> list[str]:
    """Every table of intake and documents, as text and as bytes, searched for `needles`."""
    found: list[str] = []
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_schema = ANY($1::text[]) AND table_type = 'BASE TABLE'""",
            list(SCHEMAS),
        )
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            for needle in needles:
                if not needle.isascii() or b"\x00" in needle:
                    continue  # a file's bytes: searched in the bytea columns below
                text_hits = await conn.fetchval(
                    f"SELECT count(*) FROM {name} x WHERE position($1 in x::text) > 0",
                    needle.decode(),
                )
                if text_hits:
                    found.append(f"{name} (text): {needle!r}")
        for table, column in (
            ("intake.inbound_messages", "body"),
            ("intake.inbound_attachments", "content"),
            ("documents.files", "content"),
        ):
            for needle in needles:
                if await conn.fetchval(
                    f"SELECT count(*) FROM {table} WHERE position($1::bytea in {column}) > 0",
                    needle,
                ):
                    found.append(f"{table}.{column}: {needle!r}")
    return found


async def _letter_with_scan(office: Office, scan: bytes) -> tuple[str, UUID, dict[str, Any]]:
    details = {
        "office": OFFICE,
        "service": "public-complaint",
        "variant": "general",
        "sender": {"name": NAME, "nik": NIK, "phone": PHONE},
        "subject": "Pengaduan bantuan sembako",
        "summary": SUMMARY,
    }
    r = await office.intake.post(
        "/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("surat.pdf", scan, "application/pdf")},
        headers=DESK,
    )
    assert r.status_code == 202, r.text
    inbound_id = r.json()["inbound_ids"][0]
    row = await decided(office.pool, inbound_id)
    assert row["status"] == "accepted", row
    case_id: UUID = row["case_id"]
    (fact,) = await announced(office.pool, case_id)
    return inbound_id, case_id, fact


async def _upload_ktp(office: Office, case_id: UUID, ktp: bytes) -> UUID:
    async def checklist() -> Any:
        got = await office.documents.get(f"/v1/cases/{case_id}/checklist", headers=DESK)
        return got.status_code == 200

    await eventually(checklist, timeout=30)
    r = await office.documents.post(
        f"/v1/cases/{case_id}/documents/upload",
        data={"document_type": "id_card", "form": "copy"},  # a scan sent with a letter
        files={"file": ("ktp.png", ktp, "image/png")},
        headers=DESK,
    )
    assert r.status_code == 201, r.text
    async with office.pool.acquire() as conn:
        file_id: UUID = await conn.fetchval(
            "SELECT file_id FROM documents.files WHERE case_id = $1", case_id
        )
    return file_id


async def test_raw_message_attachment_and_scan_are_sealed_served_and_shredded(
    office: Office,
) -> None:
    scan = small_pdf("Surat pengaduan contoh")
    ktp = PNG_1PX
    inbound_id, case_id, fact = await _letter_with_scan(office, scan)
    file_id = await _upload_ktp(office, case_id, ktp)
    secrets = (NAME.encode(), NIK.encode(), PHONE.encode(), b"sembako", scan, ktp, b"%PDF")

    # At rest: ciphertext only, in every column and every table of intake and documents
    # (intake's identity index keeps keyed hashes: test_intake_identity_hashed.py).
    assert await _plaintext_in(office.pool, *secrets) == []
    async with office.pool.acquire() as conn:
        kept = await conn.fetchrow(
            "SELECT subject_id, body, parsed, headers FROM intake.inbound_messages WHERE id = $1",
            UUID(inbound_id),
        )
        scan_row = await conn.fetchrow(
            "SELECT subject_id, size, sha256, content FROM documents.files WHERE file_id = $1",
            file_id,
        )
        anchored = await conn.fetchval(
            """SELECT count(*) FROM eventstore.subject_anchors
               WHERE anchor = 'case:' || $1::uuid::text AND subject_id = ANY($2::uuid[])""",
            case_id,
            [kept["subject_id"], scan_row["subject_id"]],
        )
    assert kept["subject_id"] is not None and len(kept["body"]) > 0
    assert isinstance(kept["parsed"], str) and isinstance(kept["headers"], str)  # sealed JSON
    # The scan's size and checksum stay the plaintext's (announced and checked).
    assert scan_row["size"] == len(ktp)
    assert scan_row["sha256"] == hashlib.sha256(ktp).hexdigest()
    assert bytes(scan_row["content"]) != ktp
    assert anchored >= 1  # erased with the case's person

    # Served in clear to the office's staff, through the APIs.
    msg = await office.intake.get(f"/v1/inbound/{inbound_id}", headers=DESK)
    assert msg.status_code == 200, msg.text
    assert msg.json()["erased"] is False
    assert NAME in msg.json()["body_text"]
    got = await office.intake.get(fact["content_path"], headers=DESK)
    assert got.status_code == 200, got.text
    assert got.content == scan
    assert hashlib.sha256(got.content).hexdigest() == fact["sha256"]
    served = await office.documents.get(f"/v1/files/{file_id}", headers=DESK)
    assert served.status_code == 200, served.text
    assert served.content == ktp and served.headers["x-content-sha256"] == scan_row["sha256"]

    # Erasure by the data protection officer, once casework has the case.
    await erase_when_known(office.casework, case_id, reader=DESK, officer=DPO)

    async def scans_forgotten() -> bool:
        async with office.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    "SELECT erased_at IS NOT NULL FROM documents.files WHERE file_id = $1",
                    file_id,
                )
            )

    await eventually(scans_forgotten, timeout=30)

    async def message_forgotten() -> bool:
        async with office.pool.acquire() as conn:
            body = await conn.fetchval(
                "SELECT body FROM intake.inbound_messages WHERE id = $1", UUID(inbound_id)
            )
        return bool(body == b"")

    await eventually(message_forgotten, timeout=30)

    # Every answer says erased; nothing can be read.
    msg = await office.intake.get(f"/v1/inbound/{inbound_id}", headers=DESK)
    assert msg.status_code == 200, msg.text
    assert msg.json()["erased"] is True
    assert msg.json()["body_text"] == ERASED_TEXT and msg.json()["body_base64"] == ""
    assert msg.json()["headers"] == {}
    for client, path in (
        (office.intake, fact["content_path"]),
        (office.documents, f"/v1/files/{file_id}"),
    ):
        gone = await client.get(path, headers=DESK)
        assert gone.status_code == 410, (path, gone.text)
        assert gone.json()["error"]["code"] == "personal_data_erased"
    # No plaintext in any table; the rows (and the scan's size and checksum) remain.
    assert await _plaintext_in(office.pool, *secrets) == []
    async with office.pool.acquire() as conn:
        after = await conn.fetchrow(
            "SELECT size, sha256, content, filename FROM documents.files WHERE file_id = $1",
            file_id,
        )
        before_again = await conn.fetch("SELECT * FROM documents.files ORDER BY file_id")
        intake_before = await _intake_rows(conn, UUID(inbound_id))
    assert after["size"] == len(ktp) and after["sha256"] == scan_row["sha256"]
    assert bytes(after["content"]) == b"" and after["filename"] is None

    # A second erasure is refused; a redelivered PersonalDataErased changes nothing.
    again = await office.casework.post(
        f"/v1/cases/{case_id}/erasure", headers=DPO, json={"legal_basis": "lagi"}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_erased"
    async with office.pool.acquire() as conn, conn.transaction():
        (erased,) = await read_stream(conn, erasure_stream(case_id))
        event = erased.payload()
        assert isinstance(event, PersonalDataErased)
        uow = PostgresDocumentsUnitOfWork.joined(conn, EventStore(owner="documents"))
        await forget_erased_person(uow, event)
        await intake_forget(IntakeUnitOfWork.joined(conn, EventStore(owner="intake")), event)
    async with office.pool.acquire() as conn:
        assert await conn.fetch("SELECT * FROM documents.files ORDER BY file_id") == before_again
        assert await _intake_rows(conn, UUID(inbound_id)) == intake_before
    assert await _plaintext_in(office.pool, *secrets) == []


async def _intake_rows(conn: asyncpg.Connection, inbound_id: UUID) -> list[Any]:
    return [
        *await conn.fetch(
            """SELECT id, subject_id, body, headers, parsed, status, case_id
               FROM intake.inbound_messages WHERE id = $1""",
            inbound_id,
        ),
        *await conn.fetch(
            """SELECT id, content, file_name, sha256, size_bytes FROM intake.inbound_attachments
               WHERE inbound_id = $1""",
            inbound_id,
        ),
    ]


async def test_a_message_triaged_before_its_case_is_sealed_and_erased_with_the_case(
    office: Office,
) -> None:
    """A message no rule could classify has a subject of its own (its flow) until staff
    classify it; from then on it is erased with the case's person."""
    desk = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-desk-seal")
    dpo = auth("mataram", Role.DATA_PROTECTION_OFFICER, staff_id="mtr-dpo-seal")
    words = "Halo pak, saya Warga Triase Sintetis, mohon dibantu."
    r = await office.intake.post(
        "/v1/channels/website/mataram",
        json={
            "person": {"name": "Warga Triase Sintetis", "phone": "081200000343"},
            "message": words,
        },
    )
    assert r.status_code == 202, r.text
    inbound_id = r.json()["inbound_ids"][0]
    row = await decided(office.pool, inbound_id)
    assert row["status"] == "triage"
    secrets = (b"Warga Triase Sintetis", b"mohon dibantu")
    assert await _plaintext_in(office.pool, *secrets) == []
    queue = (await office.intake.get("/v1/triage", headers=desk)).json()["items"]
    assert [(i["inbound_id"], i["summary"]) for i in queue] == [(inbound_id, words)]

    body = {"office": "mataram", "service": "lk3-consultation"}
    ok = await office.intake.post(f"/v1/triage/{inbound_id}/classify", json=body, headers=desk)
    assert ok.status_code == 201, ok.text
    case_id = ok.json()["case_id"]

    await erase_when_known(office.casework, case_id, reader=desk, officer=dpo)
    msg = await office.intake.get(f"/v1/inbound/{inbound_id}", headers=desk)
    assert msg.status_code == 200, msg.text
    assert msg.json()["erased"] is True and msg.json()["body_text"] == ERASED_TEXT
    assert await _plaintext_in(office.pool, *secrets) == []
