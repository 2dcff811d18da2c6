"""An e-mail that is not readable MIME is refused at SMTP DATA (554) and kept as rejected
with `malformed_email`, for the office its recipient mailbox belongs to (checked at RCPT),
so that office's front office sees it in `GET /v1/inbound?status=rejected`. Through intake's
real SMTP endpoint and HTTP API, on the real database and broker."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.intake.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.infra import free_port
from shared.settings import Settings
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

KUPANG_DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-01")
LUMAJANG_DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-01")
UNREADABLE = b"\r\n"  # no headers: not a MIME message


@pytest.fixture
def smtp_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"slrt_smtp_port": free_port()})


@pytest.fixture
async def intake(smtp_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(smtp_settings)) as client:
        yield client


def send_raw(port: int, recipients: list[str], raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("kosong@example.org", recipients, raw)


async def rejected(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/v1/inbound", params={"status": "rejected"}, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_unreadable_email_is_refused_and_kept_for_its_recipients_office(
    intake: httpx.AsyncClient, smtp_settings: Settings
) -> None:
    port = smtp_settings.slrt_smtp_port
    assert port is not None
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(send_raw, port, ["DinSos@KupangKota.go.id"], UNREADABLE)
    assert refused.value.smtp_code == 554
    assert refused.value.smtp_error == b"5.6.0 Message is not readable MIME"

    (kept,) = await rejected(intake, KUPANG_DESK)
    assert (kept["reason"], kept["office"], kept["channel"], kept["source"]) == (
        "malformed_email",
        "kupang",
        "email",
        "smtp",
    )
    detail = (await intake.get(f"/v1/inbound/{kept['id']}", headers=KUPANG_DESK)).json()
    assert detail["headers"] == {
        "mail-from": "kosong@example.org",
        "rcpt-to": "DinSos@KupangKota.go.id",
    }
    assert await rejected(intake, LUMAJANG_DESK) == []

    # Recipients of two offices: kept with the first recipient's, as a readable one is.
    with pytest.raises(smtplib.SMTPDataError):
        await asyncio.to_thread(
            send_raw, port, ["dinsos@lumajangkab.go.id", "dinsos@kupangkota.go.id"], UNREADABLE
        )
    (other,) = await rejected(intake, LUMAJANG_DESK)
    assert (other["reason"], other["office"]) == ("malformed_email", "lumajang")
    assert [i["id"] for i in await rejected(intake, KUPANG_DESK)] == [kept["id"]]
