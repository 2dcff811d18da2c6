"""The staff web app's door (`shared.door`, issue 16 point 10) on the real database: a
form is not read for a request without a session, and every form is bounded while it
streams, the pages that read their forms themselves (a document's scan) included; the
refusal is a page like any other."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from services.dashboard.bootstrap import FORM_MAX_BYTES, create_app
from services.dashboard.config import DashboardSettings
from services.dashboard.service_layer import manage_staff
from services.dashboard.service_layer.manage_staff import AccountForm
from shared.door import JSON_BODY_MAX_BYTES
from shared.settings import Settings
from tests.servicekit import running

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
PASSWORD = "kata-sandi-pintu-123"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Counted:
    """A form streamed in 1 MiB chunks (chunked: no Content-Length), a field each (one
    field over 1 MiB is refused by the form parser itself), counting the pulls."""

    def __init__(self, size_mib: int) -> None:
        self.size_mib, self.pulled = size_mib, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += 1
        yield b"reason="
        for _ in range(self.size_mib):
            self.pulled += 1
            yield b"&note=" + b"x" * (MiB - 6)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def test_forms_are_read_only_in_a_session_and_bounded(settings: Settings) -> None:
    app = create_app(DashboardSettings(**settings.model_dump()))
    async with running(app) as client:
        d = app.state.dashboard
        await manage_staff.create_account(
            d.pool,
            d.catalogue,
            None,
            username="lmj-pintu",
            password=PASSWORD,
            form=AccountForm(office="lumajang", name="Pintu", roles=["front_office"]),
        )
        step = f"/kasus/{uuid4()}/aksi/mulai"

        # No session: refused before a byte of the form is read.
        body = Counted(100)
        r = await client.post(step, content=body, headers=FORM)
        assert r.status_code == 403 and body.pulled == 0
        assert "text/html" in r.headers["content-type"]

        # The sign-in form (parsed by FastAPI) is bounded like a JSON body.
        page = await client.get("/masuk")
        body = Counted(100)
        r = await client.post("/masuk", content=body, headers=FORM)
        assert r.status_code == 413 and body.pulled <= 3
        assert "text/html" in r.headers["content-type"]  # a page, as every refusal here
        assert JSON_BODY_MAX_BYTES < FORM_MAX_BYTES

        form = {"username": "lmj-pintu", "password": PASSWORD, "csrf_token": _csrf(page.text)}
        r = await client.post("/masuk", data=form)
        assert r.status_code == 303, r.text
        csrf = _csrf((await client.get("/admin/staf/baru")).text)

        # Signed in: a page reading its own form stops at the web app's limit.
        body = Counted(100)
        headers = {**FORM, "X-CSRF-Token": csrf, "HX-Request": "true"}
        r = await client.post(step, content=body, headers=headers)
        assert r.status_code == 413, r.text
        assert body.pulled <= FORM_MAX_BYTES // MiB + 2
