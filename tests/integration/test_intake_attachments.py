"""Files citizens send become documents of the case (intake's side), on the real database
and broker, with a local server speaking the WhatsApp Graph API's media shapes.

- a letter's scan is announced on its case (`CaseAttachmentReceived`) with its SHA-256 and
  served to staff of the office by `GET /v1/attachments/{id}`, every read recorded;
- a WhatsApp image is fetched by intake's media worker after the webhook's answer (with
  the app's token, retried after a 5xx), checked by content and announced; a redelivery of
  the same message announces nothing twice;
- media that cannot be kept (unknown id, content not what was declared) are recorded
  `failed` with the reason and announced as `CaseAttachmentFetchFailed`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest

from services.intake.adapters import attachments as attachment_rows
from services.intake.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.infra import free_port
from shared.settings import Settings
from tests.fake_graph import PNG_1PX, FakeGraph, small_pdf
from tests.integration.test_intake_channels import (
    KUPANG_DESK,
    META_SECRET,
    case_events,
    decided,
    meta_headers,
)
from tests.meta_webhooks import contact, image_message, whatsapp_webhook
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    g = FakeGraph().start()
    try:
        yield g
    finally:
        g.stop()


@pytest.fixture
async def intake(settings: Settings, graph: FakeGraph) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(
            update={
                "slrt_meta_app_secret": META_SECRET,
                "slrt_smtp_port": free_port(),
                "slrt_whatsapp_api_base": graph.api_base,
                "slrt_whatsapp_token": graph.token,
                "slrt_whatsapp_media_max_bytes": 64 * 1024,
            }
        )
    )
    app.state.runtime.catch_up_seconds = 1.0
    async with running(app) as client:
        yield client


def media_webhook(wamid: str, media_id: str, mime: str, caption: str) -> bytes:
    phone = "6281200000501"
    return whatsapp_webhook(
        {
            "contacts": [contact("Warga", phone)],
            "messages": [image_message(phone, wamid, media_id, mime, caption)],
        }
    )


async def announced(pool: asyncpg.Pool, case_id: UUID, n: int = 1) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        facts = [
            {"type": e.event_type, **e.data}
            for e in await case_events(pool, case_id)
            if e.event_type.startswith("CaseAttachment")
        ]
        return facts if len(facts) >= n else None

    found: list[dict[str, Any]] = await eventually(check, timeout=30)
    return found


async def test_a_letter_scan_is_announced_on_its_case_and_served_to_the_office(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    scan = small_pdf("Surat pengaduan (contoh)")
    details = {
        "office": "kupang",
        "letter_number": "007/RT-05/XI/2026",
        "sender": {"name": "Ketua RT Contoh"},
        "subject": "Pengaduan bantuan",
        "summary": "Warga kami belum menerima bantuan PKH tahap ini.",
    }
    r = await intake.post(
        "/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("surat.pdf", scan, "application/pdf")},
        headers=KUPANG_DESK,
    )
    assert r.status_code == 202, r.text
    row = await decided(pool, r.json()["inbound_ids"][0])
    (fact,) = await announced(pool, row["case_id"])
    assert fact["type"] == "CaseAttachmentReceived"
    assert fact["sha256"] == hashlib.sha256(scan).hexdigest()
    assert fact["media_type"] == "application/pdf"
    assert fact["file_name"] == "surat.pdf"
    assert fact["content_path"] == f"/v1/attachments/{fact['attachment_id']}"

    got = await intake.get(fact["content_path"], headers=KUPANG_DESK)
    assert got.status_code == 200, got.text
    assert got.content == scan
    assert got.headers["x-content-sha256"] == fact["sha256"]
    other = await intake.get(fact["content_path"], headers=auth("lumajang", Role.FRONT_OFFICE))
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "wrong_office"
    async with pool.acquire() as conn:
        reads = await conn.fetch(
            "SELECT actor FROM intake.attachment_reads WHERE attachment_id = $1",
            UUID(fact["attachment_id"]),
        )
    assert [r["actor"] for r in reads] == ["staff:kpg-fo-01"]


async def test_whatsapp_media_is_fetched_after_the_webhook_and_announced_once(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, graph: FakeGraph
) -> None:
    digest = graph.add("m-ok-1", PNG_1PX, "image/png")
    graph.fail_first("m-ok-1", 500)
    body = media_webhook("wamid.MEDIA1", "m-ok-1", "image/png", "Bantuan PKH belum cair, foto")
    r = await intake.post("/v1/channels/whatsapp/kupang", content=body, headers=meta_headers(body))
    assert r.status_code == 202, r.text
    row = await decided(pool, r.json()["inbound_ids"][0])
    assert row["case_id"] is not None
    (fact,) = await announced(pool, row["case_id"])
    assert fact["type"] == "CaseAttachmentReceived"
    assert fact["sha256"] == digest
    assert fact["size_bytes"] == len(PNG_1PX)
    async with pool.acquire() as conn:
        kept = await conn.fetchrow(
            "SELECT status, attempts FROM intake.inbound_attachments WHERE id = $1",
            UUID(fact["attachment_id"]),
        )
        # The bytes are sealed at rest: read through intake's one way to open them.
        opened = await attachment_rows.attachment(conn, UUID(fact["attachment_id"]))
    assert kept["status"] == "stored"
    assert kept["attempts"] == 2  # the provider's 500, then the file
    assert opened is not None and opened.content == PNG_1PX

    # Meta redelivers the same webhook: same case, nothing announced twice.
    again = await intake.post(
        "/v1/channels/whatsapp/kupang", content=body, headers=meta_headers(body)
    )
    second = await decided(pool, again.json()["inbound_ids"][0])
    assert second["case_id"] == row["case_id"]
    async with pool.acquire() as conn:
        status = await conn.fetchval(
            "SELECT status FROM intake.inbound_attachments WHERE inbound_id = $1", second["id"]
        )
    assert status == "failed"  # set aside as redelivered, never fetched again
    assert len(await announced(pool, row["case_id"])) == 1


async def test_media_that_cannot_be_kept_are_recorded_with_the_reason(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, graph: FakeGraph
) -> None:
    graph.add("m-lies", small_pdf(), "image/jpeg")  # says JPEG, is a PDF
    cases = []
    for wamid, media_id in (("wamid.BAD1", "m-unknown"), ("wamid.BAD2", "m-lies")):
        body = media_webhook(wamid, media_id, "image/jpeg", "Bantuan PKH belum cair, foto")
        r = await intake.post(
            "/v1/channels/whatsapp/kupang", content=body, headers=meta_headers(body)
        )
        cases.append((await decided(pool, r.json()["inbound_ids"][0]))["case_id"])
    (unknown,) = await announced(pool, cases[0])
    assert unknown["type"] == "CaseAttachmentFetchFailed"
    assert unknown["reason"] == "media_not_found"
    (lies,) = await announced(pool, cases[1])
    assert lies["type"] == "CaseAttachmentFetchFailed"
    assert lies["reason"] == "file_type_mismatch"
    got = await intake.get(f"/v1/attachments/{lies['attachment_id']}", headers=KUPANG_DESK)
    assert got.status_code == 409
    assert got.json()["error"]["code"] == "attachment_not_fetched"


async def test_files_sent_with_the_website_form_are_announced_on_the_case(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    kk_scan = small_pdf("Kartu Keluarga (contoh sintetis)")
    form: dict[str, Any] = {
        "submission_id": "web-att-1",
        "person": {"name": "Warga Web", "nik": "1377014101900071", "phone": "081200000701"},
        "service": "dtks-certificate",
        "variant": "certificate",
        "message": "Mohon surat keterangan DTKS; fotokopi KK terlampir.",
        "attachments": [
            {
                "file_name": "kk.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(kk_scan).decode(),
            }
        ],
    }
    r = await intake.post("/v1/channels/website/pariaman", json=form)
    assert r.status_code == 202, r.text
    row = await decided(pool, r.json()["inbound_ids"][0])
    (fact,) = await announced(pool, row["case_id"])
    assert fact["type"] == "CaseAttachmentReceived"
    assert fact["channel"] == "website"
    assert fact["sha256"] == hashlib.sha256(kk_scan).hexdigest()

    # A file that is not what it says is refused with the field's path.
    form["submission_id"] = "web-att-2"
    form["attachments"][0]["content_base64"] = base64.b64encode(b"not a pdf at all").decode()
    bad = await intake.post("/v1/channels/website/pariaman", json=form)
    assert bad.status_code == 422
    (error,) = bad.json()["error"]["details"]["errors"]
    assert error["loc"] == ["attachments", "0"]
    assert "PDF, JPEG or PNG" in error["msg"]
