"""A file intake kept can be accepted by documents (walk 13, defect 5): a 7 MiB letter scan,
within the letter door's 10 MiB, is accepted as the checklist's ID copy, although a desk
upload is held to 5 MiB. Through the real HTTP endpoints: intake served on a port (as
documents calls it, with the staff member's own token), documents in-process, on the
real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from services.documents.bootstrap import create_app as documents_app
from services.documents.config import get_documents_settings
from services.documents.domain.files import DEFAULT_MAX_BYTES
from services.intake.bootstrap import create_app as intake_app
from services.intake.entrypoints.channels import MAX_SCAN_BYTES
from shared.contracts.vocab import Role
from shared.infra import free_port
from shared.settings import Settings
from tests.fake_graph import small_pdf
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-scan")


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[str]:
    """Intake on a free port, with its lifespan (runtime, consumer), as in production."""
    port = free_port()
    app = intake_app(settings.model_copy(update={"slrt_smtp_port": free_port()}))
    app.state.runtime.catch_up_seconds = 1.0
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def office(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with served(settings) as intake_url:
        monkeypatch.setenv("SLRT_INTAKE_URL", intake_url)
        get_documents_settings.cache_clear()
        try:
            app = documents_app(settings)
            app.state.runtime.catch_up_seconds = 1.0
            async with (
                httpx.AsyncClient(base_url=intake_url, timeout=30) as intake,
                running(app) as documents,
            ):
                yield intake, documents
        finally:
            get_documents_settings.cache_clear()


async def test_a_7_mib_letter_scan_is_accepted_as_the_checklist_id_copy(
    office: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    intake, documents = office
    # A scanned ID copy between the desk's limit and the letter door's.
    scan = small_pdf("Fotokopi KTP (contoh sintetis)")
    scan += b"%" + b"0" * (7 * MiB - len(scan) - 1)
    assert DEFAULT_MAX_BYTES < len(scan) <= MAX_SCAN_BYTES
    digest = hashlib.sha256(scan).hexdigest()
    details = {
        "office": "kupang",
        "service": "public-complaint",
        "variant": "general",
        "sender": {"name": "Warga Contoh", "nik": "5371010101900031"},
        "subject": "Pengaduan bantuan",
        "summary": "Bantuan sembako kami belum diterima. Fotokopi KTP terlampir.",
    }
    r = await intake.post(
        "/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("ktp.pdf", scan, "application/pdf")},
        headers=DESK,
    )
    assert r.status_code == 202, r.text
    (inbound_id,) = r.json()["inbound_ids"]

    async def case_id() -> Any:
        got = await intake.get(f"/v1/inbound/{inbound_id}", headers=DESK)
        return got.status_code == 200 and got.json()["case_id"]

    case = await eventually(case_id, timeout=40)

    async def listed() -> Any:
        got = await documents.get(f"/v1/cases/{case}/attachments", headers=DESK)
        return got.status_code == 200 and got.json()["attachments"]

    (attachment,) = await eventually(listed, timeout=40)
    assert (attachment["size_bytes"], attachment["sha256"]) == (len(scan), digest)

    async def checklist() -> bool:
        got = await documents.get(f"/v1/cases/{case}/checklist", headers=DESK)
        return got.status_code == 200

    await eventually(checklist, timeout=40)
    accepted = await documents.post(
        f"/v1/cases/{case}/attachments/{attachment['attachment_id']}/accept",
        json={"requirement": "id_card", "form": "copy"},
        headers=DESK,
    )
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["recorded"] is True
    (entry,) = [d for d in body["checklist"]["received"] if d["type"] == "id_card"]
    assert entry["file"]["sha256"] == digest and entry["file"]["size"] == len(scan)

    # The desk's own upload keeps its limit: staff can scan again smaller.
    upload = await documents.post(
        f"/v1/cases/{case}/documents/upload",
        data={"document_type": "id_card", "form": "copy"},
        files={"file": ("ktp.pdf", scan, "application/pdf")},
        headers=DESK,
    )
    assert upload.status_code == 413, upload.text
    assert upload.json()["error"]["code"] == "file_too_large"
