"""No 5xx from any input (issue 16, point 10), over the services' HTTP APIs on the real
database: signed webhooks of odd shapes are answered 2xx or 4xx and kept as they came; a
NUL character is refused alike everywhere (422 `text_nul`); an upload is not read before
the caller is authorised, and is refused while it streams once past its limit (a chunked
body declares no length)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI

from services.documents.bootstrap import create_app as documents_app
from services.intake.bootstrap import create_app as intake_app
from shared.contracts.vocab import Role
from shared.http import install_error_handlers
from shared.settings import Settings
from tests.sealed_rows import opened_message
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

META_SECRET = "test-meta-secret-hostile"
TWITTER_SECRET = "test-twitter-secret-hostile"
DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-hostile")
MiB = 1024 * 1024


@pytest.fixture
def hostile_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "slrt_meta_app_secret": META_SECRET,
            "slrt_twitter_consumer_secret": TWITTER_SECRET,
        }
    )


def _signed(body: bytes) -> dict[str, str]:
    sig = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={sig}", "Content-Type": "application/json"}


def _whatsapp(sender: Any, name: Any, wa_id: Any) -> bytes:
    message = {
        "from": sender,
        "id": f"wamid.{uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "Bantuan sembako belum diterima"},
    }
    value = {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]}
    return orjson.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    )


async def _kept(pool: asyncpg.Pool, inbound_id: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT id, subject_id, status, reason, body, office FROM intake.inbound_messages
               WHERE id = $1""",
            UUID(inbound_id),
        )
        assert row is not None
        return await opened_message(conn, row)


async def test_odd_webhook_shapes_are_answered_and_kept(
    hostile_settings: Settings, pool: asyncpg.Pool
) -> None:
    url = "/v1/channels/whatsapp/lumajang"
    async with running(intake_app(hostile_settings)) as client:
        # A 300-character profile name, a numeric one, a wa_id given as a list: the message
        # is taken (the name cut to 200 characters for the case), the raw delivery whole.
        for name, wa_id in (("N" * 300, "6281200000301"), (6281, "6281200000302"), ("W", ["x"])):
            sender = wa_id if isinstance(wa_id, str) else "6281200000303"
            body = _whatsapp(sender, name, wa_id)
            r = await client.post(url, content=body, headers=_signed(body))
            assert r.status_code == 202, r.text
            (inbound_id,) = r.json()["inbound_ids"]
            assert (await _kept(pool, inbound_id))["body"] == body

        # A 40-digit sender is no phone number: 422 with a reason, kept as rejected.
        body = _whatsapp("1" * 40, "Warga", "1" * 40)
        r = await client.post(url, content=body, headers=_signed(body))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "payload_invalid"
        row = await _kept(pool, r.json()["error"]["details"]["inbound_id"])
        assert (row["status"], row["reason"], row["office"]) == (
            "rejected",
            "payload_invalid",
            "lumajang",
        )
        assert row["body"] == body

        # Too large: refused while it streams, and its first bytes kept with the reason.
        huge = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * (3 * MiB) + b'"}'
        r = await client.post(url, content=huge, headers=_signed(huge))
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        row = await _kept(pool, r.json()["error"]["details"]["inbound_id"])
        assert (row["status"], row["reason"], row["office"]) == (
            "rejected",
            "payload_too_large",
            "lumajang",
        )
        assert huge.startswith(row["body"]) and 0 < len(row["body"]) < len(huge)

        # Numeric user names on X and on a Facebook comment.
        x_body = orjson.dumps(
            {
                "for_user_id": "999",
                "users": {"42": {"name": 12345, "screen_name": 678}},
                "direct_message_events": [
                    {
                        "type": "message_create",
                        "id": uuid4().hex,
                        "created_timestamp": str(int(time.time() * 1000)),
                        "message_create": {
                            "sender_id": "42",
                            "message_data": {"text": "Mohon info bantuan PKH"},
                        },
                    }
                ],
                "tweet_create_events": [
                    {
                        "id_str": uuid4().hex,
                        "timestamp_ms": str(int(time.time() * 1000)),
                        "user": {"id_str": 4242, "name": 777},
                        "text": "@dinsos mohon bantuan",
                    }
                ],
            }
        )
        sig = hmac.new(TWITTER_SECRET.encode(), x_body, hashlib.sha256).digest()
        r = await client.post(
            "/v1/channels/twitter/lumajang",
            content=x_body,
            headers={
                "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(sig).decode(),
                "Content-Type": "application/json",
            },
        )
        assert r.status_code == 202, r.text
        fb_body = orjson.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": "PAGE",
                        "time": int(time.time()),
                        "changes": [
                            {
                                "field": "feed",
                                "value": {
                                    "item": "comment",
                                    "comment_id": uuid4().hex,
                                    "from": {"id": 31337, "username": 31337},
                                    "message": "Bantuan belum cair",
                                },
                            }
                        ],
                    }
                ],
            }
        )
        r = await client.post(
            "/v1/channels/facebook/lumajang", content=fb_body, headers=_signed(fb_body)
        )
        assert r.status_code == 202, r.text


class Counted:
    """A streamed multipart body (chunked: no Content-Length): the form fields, then a
    file part of `size_mib` MiB in 1 MiB chunks; counts how many of those were read."""

    def __init__(self, head: bytes, size_mib: int) -> None:
        self.head, self.size_mib, self.read = head, size_mib, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(self.size_mib):
            self.read += 1
            yield b"\0" * MiB


def _multipart(name: str, filename: str, size_mib: int, fields: dict[str, str]) -> Counted:
    parts = [
        f'--hostileboundary\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(
        f'--hostileboundary\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n%PDF-'
    )
    return Counted("".join(parts).encode(), size_mib)


MULTIPART = {"Content-Type": "multipart/form-data; boundary=hostileboundary"}


async def test_the_letter_door_reads_nothing_before_the_token_and_stops_at_its_limit(
    hostile_settings: Settings,
) -> None:
    details = orjson.dumps({"office": "lumajang", "summary": "Surat uji"}).decode()
    async with running(intake_app(hostile_settings)) as client:
        body = _multipart("scan", "surat.pdf", 100, {"details": details})
        r = await client.post("/v1/channels/letter", content=body, headers=MULTIPART)
        assert r.status_code == 401
        assert body.read <= 1  # not 100 MiB spooled to disk first

        body = _multipart("scan", "surat.pdf", 100, {"details": details})
        r = await client.post("/v1/channels/letter", content=body, headers={**MULTIPART, **DESK})
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "payload_too_large"
        assert body.read <= 12  # refused once past the 10 MiB scan, not at the end


async def test_a_chunked_documents_upload_is_refused_past_the_limit(settings: Settings) -> None:
    url = f"/v1/cases/{uuid4()}/documents/upload"
    fields = {"document_type": "ktp", "form": "copy"}
    async with running(documents_app(settings)) as client:
        body = _multipart("file", "ktp.pdf", 100, fields)
        r = await client.post(url, content=body, headers=MULTIPART)
        assert r.status_code == 401 and body.read <= 1

        # The role before the body: a receptionist's upload is refused unread.
        body = _multipart("file", "ktp.pdf", 100, fields)
        receptionist = auth("lumajang", Role.RECEPTIONIST, staff_id="lmj-rcp")
        r = await client.post(url, content=body, headers={**MULTIPART, **receptionist})
        assert r.status_code == 403 and body.read <= 1

        body = _multipart("file", "ktp.pdf", 100, fields)
        r = await client.post(url, content=body, headers={**MULTIPART, **DESK})
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "file_too_large"
        assert body.read < 100


async def test_a_nul_character_is_refused_alike_wherever_it_reaches_the_database(
    pool: asyncpg.Pool,
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(payload: dict[str, str]) -> dict[str, Any]:
        async with pool.acquire() as conn:
            text = await conn.fetchval("SELECT $1::text", payload["text"])
            data = await conn.fetchval("SELECT $1::jsonb", orjson.dumps(payload).decode())
        return {"text": text, "data": data}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.post("/echo", json={"text": "ok"})).status_code == 200
        r = await client.post("/echo", json={"text": "nul\u0000here"})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "text_nul"
