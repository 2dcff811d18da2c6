"""The staff web app in a real Chromium, over the six real processes: sign in, My work,
a case page that follows the case live, and the security promises (CSRF, session
rotation, another office's case, inert citizen text, lock-out)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from shared.auth import mint_token
from shared.contracts.vocab import Role
from tests.browser.conftest import PASSWORD, SCREENSHOTS, Six

pytestmark = pytest.mark.browser

OFFICE_PC: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 360, "height": 800}


def bearer(office: str, *roles: Role, staff: str = "api-desk") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(staff, office, roles)}"}


async def register(
    six: Six, office: str, service: str, *, description: str, name: str = "Warga Contoh"
) -> dict[str, Any]:
    """A walk-in request, registered through intake's API (as another desk would)."""
    body = {
        "office": office,
        "service": service,
        "channel": "walk_in",
        "applicant": {"name": name, "phone": f"0812{uuid.uuid4().int % 10**8:08d}"},
        "description": description,
    }
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(
            f"{six.url('intake')}/v1/requests",
            headers=bearer(office, Role.FRONT_OFFICE),
            json=body,
        )
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    return case


async def in_casework(six: Six, office: str, case_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=10) as c:
        while time.monotonic() < deadline:
            r = await c.get(
                f"{six.url('casework')}/v1/cases/{case_id}",
                headers=bearer(office, Role.FRONT_OFFICE),
            )
            if r.status_code == 200:
                view: dict[str, Any] = r.json()
                return view
            await _sleep(0.2)
    raise AssertionError(f"case {case_id} never reached casework")


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def shot(page: Page, name: str) -> None:
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)


async def new_page(chromium: Browser, six: Six, viewport: ViewportSize = OFFICE_PC) -> Page:
    context: BrowserContext = await chromium.new_context(
        base_url=six.dashboard, viewport=viewport, locale="id-ID"
    )
    return await context.new_page()


async def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/masuk")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()


async def session_cookie(page: Page) -> str | None:
    for cookie in await page.context.cookies():
        if cookie["name"] == "slrt_session":
            return cookie["value"]
    return None


async def test_sign_in_my_work_and_a_case_page_that_updates_live(
    six: Six, chromium: Browser
) -> None:
    case = await register(
        six, "lumajang", "kks-recommendation", description="PIN KKS terblokir (uji peramban)."
    )
    case_id, ticket = case["case_id"], case["ticket_number"]
    await in_casework(six, "lumajang", case_id)

    page = await new_page(chromium, six)
    await page.goto("/")
    await expect(page).to_have_url(f"{six.dashboard}/masuk")  # not signed in: sign in first
    await shot(page, "01-sign-in")
    await sign_in(page, "lmj-desk")
    await expect(page.get_by_role("heading", name="Pekerjaan saya")).to_be_visible()
    header = page.locator("header.top")
    await expect(header).to_contain_text("Dewi Petugas Contoh")
    await expect(header).to_contain_text("Petugas front office")
    await expect(header).to_contain_text("Dinas Sosial")
    row = page.locator(f"tr[data-case-id='{case_id}']")
    await expect(row).to_contain_text(ticket)
    await expect(row.locator(".clock")).to_have_count(1)
    await shot(page, "02-my-work-1366")

    await row.get_by_role("link", name=ticket).click()
    await expect(page.get_by_role("heading", name=f"Kasus {ticket}")).to_be_visible()
    await expect(page.locator("#applicant")).to_have_text("Warga Contoh")
    # Times in the office's zone, in Indonesian: "Senin, 30 November 2026 14.05 WIB".
    await expect(page.locator("dl.facts")).to_contain_text(" WIB")
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=15_000)
    before = await page.locator("#timeline li").count()
    await shot(page, "03-case-before")

    # Another session (the back office, through the documents API) changes the case.
    async with httpx.AsyncClient(timeout=10) as c:
        r = await c.post(
            f"{six.url('documents')}/v1/cases/{case_id}/documents",
            headers=bearer("lumajang", Role.FRONT_OFFICE, staff="lmj-other"),
            json={"document_type": "ktp", "form": "copy"},
        )
    assert r.status_code in (200, 201), r.text
    changed_at = time.monotonic()
    await expect(page.locator("#timeline li[data-event-type='DocumentReceived']")).to_have_count(
        1, timeout=5_000
    )
    took = time.monotonic() - changed_at
    assert await page.locator("#timeline li").count() > before
    print(f"\nlive update reached the open case page {took:.2f}s after the 201")
    await shot(page, "04-case-after-live-update")

    # The same pages on a phone.
    phone = await new_page(chromium, six, PHONE)
    await sign_in(phone, "lmj-desk")
    await expect(phone.get_by_role("heading", name="Pekerjaan saya")).to_be_visible()
    await shot(phone, "05-my-work-360")
    await phone.goto(f"/kasus/{case_id}")
    await expect(phone.get_by_role("heading", name=f"Kasus {ticket}")).to_be_visible()
    await shot(phone, "06-case-360")
    # Keyboard: the first Tab reaches the skip link, the next ones the navigation.
    await phone.keyboard.press("Tab")
    assert await phone.evaluate("document.activeElement.textContent") == "Langsung ke isi"
    await phone.context.close()
    await page.context.close()


async def test_a_form_posted_without_its_csrf_token_is_refused(six: Six, chromium: Browser) -> None:
    page = await new_page(chromium, six)
    await sign_in(page, "lmj-admin")
    await expect(page.get_by_role("heading", name="Staf Dinas Sosial", exact=False)).to_be_visible()
    await page.goto("/admin/staf/baru")
    await shot(page, "10-staff-form")
    form: dict[str, str | float | bool] = {
        "username": "tanpa-token",
        "name": "Tanpa Token",
        "office": "lumajang",
        "password": "kata-sandi-panjang-1",
        "roles": "officer",
    }
    # The browser's own cookies, no token: refused.
    r = await page.request.post("/admin/staf", form=form)
    assert r.status == 403
    assert "Formulir kedaluwarsa atau tidak sah" in await r.text()
    # An htmx-style request with a wrong header: refused too.
    r = await page.request.post("/admin/staf", form=form, headers={"X-CSRF-Token": "salah"})
    assert r.status == 403
    # Nothing was created.
    await page.goto("/admin/staf")
    await expect(page.locator("table")).not_to_contain_text("tanpa-token")
    # With the page's own form (and its token) it works.
    await page.goto("/admin/staf/baru")
    await page.get_by_label("Nama pengguna").fill("dengan-token")
    await page.get_by_label("Nama", exact=True).fill("Dengan Token")
    await page.get_by_label("Petugas pelayanan").check()
    await page.get_by_label("Kata sandi awal").fill("kata-sandi-panjang-1")
    await page.get_by_role("button", name="Simpan").click()
    await expect(page.locator(".flash.ok")).to_have_text("Akun staf dibuat.")
    await expect(page.locator("table")).to_contain_text("dengan-token")
    await shot(page, "11-staff-list")
    await page.context.close()


async def test_the_session_id_set_before_sign_in_is_not_kept(six: Six, chromium: Browser) -> None:
    page = await new_page(chromium, six)
    planted = "dipasang-oleh-penyerang-0123456789abcdef"
    await page.context.add_cookies(
        [{"name": "slrt_session", "value": planted, "url": six.dashboard}]
    )
    await page.goto("/masuk")
    anonymous = await session_cookie(page)
    assert anonymous and anonymous != planted  # an unknown id is never adopted
    await sign_in(page, "lmj-desk")
    await expect(page.get_by_role("heading", name="Pekerjaan saya")).to_be_visible()
    signed_in = await session_cookie(page)
    assert signed_in and signed_in not in (planted, anonymous)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "slrt_session")
    assert cookie["httpOnly"] and cookie["sameSite"] in ("Strict", "Lax")

    # The id from before sign-in opens nothing.
    other = await new_page(chromium, six)
    await other.context.add_cookies(
        [{"name": "slrt_session", "value": anonymous, "url": six.dashboard}]
    )
    await other.goto("/")
    await expect(other).to_have_url(f"{six.dashboard}/masuk")
    await shot(other, "20-old-session-id-back-at-sign-in")
    await other.context.close()
    await page.context.close()


async def test_another_offices_case_gives_403_and_shows_nothing(
    six: Six, chromium: Browser
) -> None:
    secret = "Rahasia Kupang tidak boleh terlihat"
    case = await register(six, "kupang", "public-complaint", description=secret)
    await in_casework(six, "kupang", case["case_id"])
    page = await new_page(chromium, six)
    await sign_in(page, "lmj-desk")
    await expect(page.get_by_role("heading", name="Pekerjaan saya")).to_be_visible()
    response = await page.goto(f"/kasus/{case['case_id']}")
    assert response is not None and response.status == 403
    body = await page.locator("body").inner_text()
    assert "milik kantor lain" in body
    assert case["ticket_number"] not in body and secret not in body
    await shot(page, "30-other-office-403")
    await page.context.close()


async def test_a_complaint_with_script_renders_inert(six: Six, chromium: Browser) -> None:
    hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    case = await register(
        six,
        "lumajang",
        "kks-recommendation",
        description=hostile + " mohon bantuan",
        name=hostile,
    )
    await in_casework(six, "lumajang", case["case_id"])
    page = await new_page(chromium, six)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await sign_in(page, "lmj-desk")
    await expect(page.get_by_role("heading", name="Pekerjaan saya")).to_be_visible()
    row = page.locator(f"tr[data-case-id='{case['case_id']}']")
    await expect(row).to_be_visible()
    await page.goto(f"/kasus/{case['case_id']}")
    await expect(page.locator("#applicant")).to_have_text(hostile)  # shown as text
    assert await page.locator("#case-body img").count() == 0
    assert await page.locator("#case-body script").count() == 0
    assert await page.evaluate("window.__pwned === undefined")
    assert not dialogs
    await shot(page, "40-hostile-text-inert")
    await page.context.close()


async def test_five_wrong_passwords_lock_the_account(six: Six, chromium: Browser) -> None:
    page = await new_page(chromium, six)
    for attempt in range(1, 6):
        await sign_in(page, "lmj-lock", "salah-salah-salah")
        expected = "Akun terkunci" if attempt == 5 else "Nama pengguna atau kata sandi salah."
        await expect(page.locator(".flash.refused")).to_contain_text(expected)
    await shot(page, "50-locked")
    # Even the right password is refused while the lock holds.
    await sign_in(page, "lmj-lock", PASSWORD)
    await expect(page.locator(".flash.refused")).to_contain_text("Akun terkunci")
    await expect(page).to_have_url(f"{six.dashboard}/masuk")
    conn = await asyncpg.connect(six.database_url)
    try:
        outcomes = [
            r["outcome"]
            for r in await conn.fetch(
                "SELECT outcome FROM dashboard.sign_in_attempts WHERE username = 'lmj-lock' "
                "ORDER BY id"
            )
        ]
        locked_until = await conn.fetchval(
            "SELECT locked_until - now() FROM dashboard.accounts WHERE username = 'lmj-lock'"
        )
    finally:
        await conn.close()
    assert outcomes == ["wrong_password"] * 4 + ["locked_out", "locked"]
    assert 14 * 60 < locked_until.total_seconds() <= 15 * 60
    await page.context.close()
