"""Issue 18.7: every service's `/docs` (Swagger UI) and `/redoc` render in a real Chromium
with no network: every request that is not to the service itself is blocked, and none is
even tried. Each page is shot under `tests/browser/screenshots/`; with
`SLRT_DOCS_SCREENSHOTS=1` also under `docs/screenshots/` (the ones in the README)."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Route, expect

from shared.settings import REPO_ROOT
from tests.browser.conftest import SCREENSHOTS, Six

pytestmark = pytest.mark.browser

DOCS = REPO_ROOT / "docs" / "screenshots"
# The staff web app and the portal are pages for people, with no API docs of their own.
SERVICES = ("intake", "eligibility", "documents", "casework", "notifications")
# ReDoc's sidebar credit ("API docs by Redocly") is an image on Redocly's CDN: blocked, it
# shows as a missing picture; nothing else of the page needs it.
REDOC_CREDIT = "https://cdn.redoc.ly/redoc/logo-mini.svg"


async def _offline_page(browser: Browser, base: str, blocked: list[str]):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    own = urlsplit(base).netloc

    async def only_the_service(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_service)
    return context, await context.new_page()


@pytest.mark.parametrize("service", SERVICES)
async def test_swagger_ui_renders_with_no_network(
    six: Six, chromium: Browser, service: str
) -> None:
    base = six.url(service)
    blocked: list[str] = []
    context, page = await _offline_page(chromium, base, blocked)
    try:
        await page.goto(f"{base}/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "SLRT", timeout=30_000
        )
        operations = page.locator(".opblock")
        await expect(operations.first).to_be_visible(timeout=30_000)
        assert await operations.count() >= 3
        shot = SCREENSHOTS / f"api-docs-{service}.png"
        await page.screenshot(path=str(shot))
        if os.environ.get("SLRT_DOCS_SCREENSHOTS") == "1":
            shutil.copy(shot, DOCS / shot.name)
    finally:
        await context.close()
    assert blocked == [], f"{service}'s /docs asked outside the service: {blocked}"


async def test_redoc_renders_with_no_network(six: Six, chromium: Browser) -> None:
    base = six.url("casework")
    blocked: list[str] = []
    context, page = await _offline_page(chromium, base, blocked)
    try:
        await page.goto(f"{base}/redoc")
        await expect(page.locator("h1").first).to_contain_text("SLRT casework", timeout=30_000)
        await expect(page.locator("[data-section-id^='tag/']").first).to_be_attached()
        await page.screenshot(path=str(SCREENSHOTS / "api-redoc-casework.png"))
    finally:
        await context.close()
    outside = [u for u in blocked if u != REDOC_CREDIT]
    assert outside == [], f"casework's /redoc asked outside the service: {outside}"
