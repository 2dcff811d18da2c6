"""Every inbound message is kept as received, even when a channel door refuses it before
reading it: a website-form body that fails the schema (422), a body that is not JSON
(400), a door called for an office that does not exist (404), a body too large (413: its
first MiB, flagged truncated), a letter whose scan is too large (413) or not a scan (415)
with the details typed in from it. The answer stays the refusal; the kept message is
`rejected` with a machine-readable reason, visible in `GET /v1/inbound?status=rejected` to
an administrator (and to the office's staff when the office exists). Through HTTP, on the
real intake app, database and broker."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from services.intake.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

META_SECRET = "test-meta-secret"
LAPOR_SECRET = "test-lapor-secret"
MATARAM_DESK = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo-01")
KUPANG_DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-01")
LUMAJANG_DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-01")
ADMIN = auth("kupang", Role.ADMIN, staff_id="kpg-admin-01")
MATARAM_ADMIN = auth("mataram", Role.ADMIN, staff_id="mtr-admin-01")


@pytest.fixture
async def intake(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(
            update={"slrt_meta_app_secret": META_SECRET, "slrt_lapor_secret": LAPOR_SECRET}
        )
    )
    async with running(app) as client:
        yield client


async def rejected(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get("/v1/inbound", params={"status": "rejected"}, headers=headers)
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["items"]}


async def raw_body(client: httpx.AsyncClient, inbound_id: str, headers: dict[str, str]) -> bytes:
    r = await client.get(f"/v1/inbound/{inbound_id}", headers=headers)
    assert r.status_code == 200, r.text
    return base64.b64decode(r.json()["body_base64"])


async def test_a_website_form_that_fails_the_schema_is_kept_with_the_field_paths(
    intake: httpx.AsyncClient,
) -> None:
    body = orjson.dumps(
        {"person": {"name": "Warga Uji", "phone": "081200000901"}, "message": "", "anonymous": 3}
    )
    r = await intake.post(
        "/v1/channels/website/mataram", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert sorted(e["loc"] for e in error["details"]["errors"]) == [["anonymous"], ["message"]]
    inbound_id = error["details"]["inbound_id"]

    kept = (await rejected(intake, MATARAM_DESK))[inbound_id]
    assert (kept["reason"], kept["office"], kept["channel"]) == (
        "schema_invalid",
        "mataram",
        "website",
    )
    assert kept["source"] == "website-form"
    assert sorted(e["loc"] for e in kept["details"]["errors"]) == [["anonymous"], ["message"]]
    assert "Warga Uji" not in orjson.dumps(kept).decode()  # the reason never echoes input
    assert await raw_body(intake, inbound_id, MATARAM_DESK) == body  # byte for byte
    assert inbound_id in await rejected(intake, MATARAM_ADMIN)
    assert inbound_id not in await rejected(intake, KUPANG_DESK)  # another office: no

    # Not JSON at all: 400, kept too.
    bad = await intake.post("/v1/channels/website/mataram", content=b"{not json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed_json"
    bad_id = bad.json()["error"]["details"]["inbound_id"]
    assert (await rejected(intake, MATARAM_DESK))[bad_id]["reason"] == "malformed_json"
    assert await raw_body(intake, bad_id, MATARAM_DESK) == b"{not json"


async def test_a_door_called_for_an_unknown_office_is_answered_404_and_kept(
    intake: httpx.AsyncClient,
) -> None:
    form = orjson.dumps({"message": "Tolong dibantu."})
    website = await intake.post(
        "/v1/channels/website/atlantis", content=form, headers={"Content-Type": "application/json"}
    )
    wa_body = orjson.dumps({"object": "whatsapp_business_account", "entry": []})
    sig = hmac.new(META_SECRET.encode(), wa_body, hashlib.sha256).hexdigest()
    whatsapp = await intake.post(
        "/v1/channels/whatsapp/atlantis",
        content=wa_body,
        headers={"X-Hub-Signature-256": f"sha256={sig}", "Content-Type": "application/json"},
    )
    lapor_body = b'{"tracking_id": "LAP-0001"}'
    lapor = await intake.post(
        "/v1/channels/lapor/atlantis",
        content=lapor_body,
        headers={"X-LAPOR-Signature": "00", "Content-Type": "application/json"},
    )
    call = {"office": "atlantis", "notes": "Penelepon menanyakan bansos."}
    telephone = await intake.post("/v1/channels/telephone", json=call, headers=LUMAJANG_DESK)

    kept_by_admin = await rejected(intake, ADMIN)
    expected = [
        (website, "website", "website-form", form),
        (whatsapp, "whatsapp", "whatsapp-cloud-api", wa_body),
        (lapor, "sp4n_lapor", "sp4n-lapor", lapor_body),
        (telephone, "telephone", "call-log", orjson.dumps(call)),
    ]
    for answer, channel, source, body in expected:
        assert answer.status_code == 404, answer.text
        error = answer.json()["error"]
        assert error["code"] == "unknown_office"
        inbound_id = error["details"]["inbound_id"]
        kept = kept_by_admin[inbound_id]
        assert (kept["reason"], kept["office"]) == ("unknown_office", None)
        assert (kept["channel"], kept["source"]) == (channel, source)
        assert kept["details"]["office"] == "atlantis"
        assert await raw_body(intake, inbound_id, ADMIN) == body
    assert kept_by_admin[telephone.json()["error"]["details"]["inbound_id"]]["entered_by"] == (
        "staff:lmj-fo-01"
    )
    # No office's front office sees what was addressed to no office.
    assert await rejected(intake, MATARAM_DESK) == {}


async def test_a_call_log_that_fails_the_schema_is_kept_for_the_staff_members_office(
    intake: httpx.AsyncClient,
) -> None:
    r = await intake.post(
        "/v1/channels/telephone", json={"office": "lumajang", "notes": ""}, headers=LUMAJANG_DESK
    )
    assert r.status_code == 422, r.text
    inbound_id = r.json()["error"]["details"]["inbound_id"]
    kept = (await rejected(intake, LUMAJANG_DESK))[inbound_id]
    assert (kept["reason"], kept["office"], kept["channel"]) == (
        "schema_invalid",
        "lumajang",
        "telephone",
    )
    assert [e["loc"] for e in kept["details"]["errors"]] == [["notes"]]


# ---- too large, or not a scan: kept too (walk 13, defect 6) ---------------------------------

MiB = 1024 * 1024
LETTER = {
    "office": "kupang",
    "service": "public-complaint",
    "variant": "general",
    "received_on": "2026-11-30T10:00:00+08:00",
    "letter_number": "012/RT-04/XI/2026",
    "sender": {"name": "Warga Contoh", "phone": "081200000931"},
    "subject": "Pengaduan bantuan",
    "summary": "Bantuan sembako keluarga kami belum cair sejak September.",
}


async def _letter(
    client: httpx.AsyncClient, scan: tuple[str, bytes, str]
) -> tuple[httpx.Response, str]:
    details = orjson.dumps(LETTER).decode()
    r = await client.post(
        "/v1/channels/letter", data={"details": details}, files={"scan": scan}, headers=KUPANG_DESK
    )
    return r, details


async def test_an_oversized_letter_scan_is_refused_and_kept_with_its_details(
    intake: httpx.AsyncClient,
) -> None:
    scan = b"%PDF-1.4\n" + b"0" * (11 * MiB)
    r, details = await _letter(intake, ("surat.pdf", scan, "application/pdf"))
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "payload_too_large"
    inbound_id = error["details"]["inbound_id"]

    # For the office's front office and its administrator; not for another office.
    kept = (await rejected(intake, KUPANG_DESK))[inbound_id]
    assert (kept["reason"], kept["office"], kept["channel"], kept["source"]) == (
        "payload_too_large",
        "kupang",
        "letter",
        "letter-scan",
    )
    assert kept["entered_by"] == "staff:kpg-fo-01"
    assert kept["body_truncated"] is True
    assert inbound_id in await rejected(intake, ADMIN)
    assert inbound_id not in await rejected(intake, MATARAM_DESK)
    # The letter as it came, its first MiB: the typed-in details and the scan's start.
    raw = await raw_body(intake, inbound_id, KUPANG_DESK)
    assert len(raw) == 1024 * 1024
    assert details.encode() in raw
    assert b'filename="surat.pdf"' in raw and b"%PDF-1.4\n000" in raw
    assert kept["content_type"].startswith("multipart/form-data; boundary=")


async def test_a_chunked_oversized_letter_is_kept_and_read_no_further_than_its_limit(
    intake: httpx.AsyncClient,
) -> None:
    read = 0
    details = orjson.dumps(LETTER).decode()
    head = (
        f'--b0undary\r\nContent-Disposition: form-data; name="details"\r\n\r\n{details}\r\n'
        '--b0undary\r\nContent-Disposition: form-data; name="scan"; filename="surat.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-"
    ).encode()

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: read as it comes
        nonlocal read
        yield head
        for _ in range(100):
            read += 1
            yield b"0" * MiB

    r = await intake.post(
        "/v1/channels/letter",
        content=chunked(),
        headers={**KUPANG_DESK, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert r.status_code == 413, r.text
    assert read <= 12  # refused once past the 10 MiB scan
    inbound_id = r.json()["error"]["details"]["inbound_id"]
    kept = (await rejected(intake, KUPANG_DESK))[inbound_id]
    assert (kept["reason"], kept["body_truncated"]) == ("payload_too_large", True)
    raw = await raw_body(intake, inbound_id, KUPANG_DESK)
    assert raw.startswith(head) and len(raw) == 1024 * 1024


async def test_a_letter_whose_scan_is_not_a_scan_is_refused_and_kept_whole(
    intake: httpx.AsyncClient,
) -> None:
    text = b"Surat pengaduan diketik ulang, bukan pindaian.\n"
    r, details = await _letter(intake, ("surat.txt", text, "text/plain"))
    assert r.status_code == 415, r.text
    error = r.json()["error"]
    assert error["code"] == "unsupported_scan"
    assert (error["details"]["detected"], error["details"]["declared"]) == (None, "text/plain")
    inbound_id = error["details"]["inbound_id"]

    kept = (await rejected(intake, KUPANG_DESK))[inbound_id]
    assert (kept["reason"], kept["office"], kept["channel"]) == (
        "unsupported_scan",
        "kupang",
        "letter",
    )
    assert kept["details"]["detected"] is None and kept["body_truncated"] is False
    assert inbound_id in await rejected(intake, ADMIN)
    raw = await raw_body(intake, inbound_id, KUPANG_DESK)
    assert details.encode() in raw and text in raw  # the whole letter, as it came


async def test_an_oversized_website_form_is_kept_flagged_truncated(
    intake: httpx.AsyncClient,
) -> None:
    form = orjson.dumps({"person": {"name": "Warga Contoh"}, "message": "Mohon bantuan. " * 90_000})
    assert len(form) > 1024 * 1024
    r = await intake.post(
        "/v1/channels/website/mataram", content=form, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413, r.text
    inbound_id = r.json()["error"]["details"]["inbound_id"]
    kept = (await rejected(intake, MATARAM_DESK))[inbound_id]
    assert (kept["reason"], kept["body_truncated"]) == ("payload_too_large", True)
    assert await raw_body(intake, inbound_id, MATARAM_DESK) == form[: 1024 * 1024]


async def test_a_letter_without_its_scan_or_unreadable_is_kept_too(
    intake: httpx.AsyncClient,
) -> None:
    details = orjson.dumps(LETTER).decode()
    r = await intake.post(
        "/v1/channels/letter",
        data={"details": details},
        files={"lampiran": ("surat.pdf", b"%PDF-1.4\n", "application/pdf")},  # not `scan`
        headers=KUPANG_DESK,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request"
    missing = r.json()["error"]["details"]["inbound_id"]

    unreadable = b"details=" + details.encode()
    r = await intake.post(
        "/v1/channels/letter",
        content=unreadable,
        headers={**KUPANG_DESK, "Content-Type": "multipart/form-data"},  # no boundary
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "malformed_form"
    malformed = r.json()["error"]["details"]["inbound_id"]

    kept = await rejected(intake, KUPANG_DESK)
    assert (kept[missing]["reason"], kept[malformed]["reason"]) == (
        "schema_invalid",
        "malformed_form",
    )
    assert details.encode() in await raw_body(intake, missing, KUPANG_DESK)
    assert await raw_body(intake, malformed, KUPANG_DESK) == unreadable
