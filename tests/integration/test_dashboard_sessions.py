"""The staff web app's sign-in against the real PostgreSQL: the session id is rotated at
sign-in, every form needs the session's CSRF token (field or htmx header), wrong
passwords lock the account and are recorded, a deactivated account is signed out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.dashboard.bootstrap import create_app
from services.dashboard.config import DashboardSettings
from services.dashboard.service_layer import manage_staff
from services.dashboard.service_layer.manage_staff import AccountForm
from shared.settings import Settings
from tests.servicekit import running

pytestmark = pytest.mark.integration
PASSWORD = "kata-sandi-uji-123"


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(DashboardSettings(**settings.model_dump()))
    async with running(app) as client:
        d = app.state.dashboard
        for username, roles in (("lmj-admin", ["admin"]), ("lmj-desk", ["front_office"])):
            await manage_staff.create_account(
                d.pool,
                d.catalogue,
                None,
                username=username,
                password=PASSWORD,
                form=AccountForm(office="lumajang", name=username.title(), roles=roles),
            )
        yield client, d


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def sign_in(c: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = await c.get("/masuk")
    return await c.post(
        "/masuk",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


async def test_the_session_id_is_new_after_sign_in(web: tuple[httpx.AsyncClient, Any]) -> None:
    c, _ = web
    c.cookies.set("slrt_session", "planted-by-someone-else")
    page = await c.get("/masuk")
    anonymous = page.cookies.get("slrt_session")
    assert anonymous and anonymous != "planted-by-someone-else"
    set_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    r = await c.post(
        "/masuk",
        data={"username": "lmj-admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    signed_in = r.cookies.get("slrt_session")
    assert signed_in and signed_in != anonymous
    assert (await c.get("/admin/staf")).status_code == 200
    # The id from before sign-in opens nothing: back to the sign-in page.
    async with httpx.AsyncClient(
        transport=c._transport, base_url="http://test", cookies={"slrt_session": anonymous}
    ) as other:
        r = await other.get("/admin/staf")
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk")


async def test_every_form_needs_the_csrf_token(web: tuple[httpx.AsyncClient, Any]) -> None:
    c, _ = web
    page = await c.get("/masuk")
    r = await c.post("/masuk", data={"username": "lmj-admin", "password": PASSWORD})
    assert r.status_code == 403 and "Formulir kedaluwarsa" in r.text
    assert (await sign_in(c, "lmj-admin")).status_code == 303
    staff_page = await c.get("/admin/staf/baru")
    token = csrf_of(staff_page.text)
    assert token != csrf_of(page.text)  # a new session, a new token
    form = {
        "username": "baru",
        "name": "Baru",
        "office": "lumajang",
        "password": "kata-sandi-panjang-1",
        "roles": "officer",
    }
    assert (await c.post("/admin/staf", data=form)).status_code == 403
    assert (await c.post("/admin/staf", data={**form, "csrf_token": "x"})).status_code == 403
    bad_origin = {"X-CSRF-Token": token, "Origin": "https://evil.example"}
    assert (await c.post("/admin/staf", data=form, headers=bad_origin)).status_code == 403
    # An htmx request sends the token in its header: accepted.
    r = await c.post(
        "/admin/staf", data=form, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert r.status_code == 303
    assert "baru" in (await c.get("/admin/staf")).text
    # Signing out without the token does nothing.
    assert (await c.post("/keluar")).status_code == 403
    assert (await c.get("/admin/staf")).status_code == 200
    assert (await c.post("/keluar", data={"csrf_token": token})).status_code == 303
    assert (await c.get("/admin/staf")).status_code == 303


async def test_wrong_passwords_lock_the_account_and_are_recorded(
    web: tuple[httpx.AsyncClient, Any],
) -> None:
    c, d = web
    for _ in range(4):
        r = await sign_in(c, "lmj-desk", "salah-salah-salah")
        assert r.status_code == 401 and "kata sandi salah" in r.text
    r = await sign_in(c, "lmj-desk", "salah-salah-salah")
    assert r.status_code == 423 and "Akun terkunci" in r.text
    r = await sign_in(c, "lmj-desk")  # the right password, while locked
    assert r.status_code == 423
    r = await sign_in(c, "nobody-here", "x")
    assert r.status_code == 401
    async with d.pool.acquire() as conn:
        outcomes = await conn.fetch(
            "SELECT username, outcome FROM dashboard.sign_in_attempts ORDER BY id"
        )
        # An administrator can lift it by resetting the password.
        account_id = await conn.fetchval(
            "SELECT account_id FROM dashboard.accounts WHERE username = 'lmj-desk'"
        )
    assert [(r["username"], r["outcome"]) for r in outcomes] == [
        *[("lmj-desk", "wrong_password")] * 4,
        ("lmj-desk", "locked_out"),
        ("lmj-desk", "locked"),
        ("nobody-here", "unknown_user"),
    ]
    await manage_staff.reset_password(d.pool, None, account_id, "kata-sandi-baru-99")
    assert (await sign_in(c, "lmj-desk", "kata-sandi-baru-99")).status_code == 303


async def test_a_deactivated_account_is_signed_out_at_once(
    web: tuple[httpx.AsyncClient, Any],
) -> None:
    c, _ = web
    assert (await sign_in(c, "lmj-desk")).status_code == 303
    admin = httpx.AsyncClient(transport=c._transport, base_url="http://test")
    async with admin:
        assert (await sign_in(admin, "lmj-admin")).status_code == 303
        listing = await admin.get("/admin/staf")
        desk_id = re.search(r'href="/admin/staf/([0-9a-f-]{36})">Lmj-Desk', listing.text)
        assert desk_id, listing.text
        form = await admin.get(f"/admin/staf/{desk_id.group(1)}")
        r = await admin.post(
            f"/admin/staf/{desk_id.group(1)}",
            data={
                "csrf_token": csrf_of(form.text),
                "name": "Lmj-Desk",
                "office": "lumajang",
                "roles": "front_office",
                # no "active": the box is unticked
            },
        )
        assert r.status_code == 303
    r = await c.get("/pekerjaan/isi")
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk")
    assert (await sign_in(c, "lmj-desk")).status_code == 401
