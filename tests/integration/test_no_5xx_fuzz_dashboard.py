"""schemathesis against the staff web app's own OpenAPI (issue 16, point 10: "and the
dashboard once it exists"), as `test_no_5xx_fuzz` does for the five APIs: the dashboard
served on a real port over the real database and broker, the five services in-process
behind it (its service clients reach them through their ASGI apps), signed in as a member
of staff holding every role of one office (the session cookie, its CSRF token as htmx
sends it, and a staff token for the audit API). Whatever is generated, valid or not, no
page answers with a 5xx.

Not fuzzed: `/langsung` (the live event stream never ends: a request would wait for its
timeout) and `/keluar` (signing out would end the fuzzer's session for every operation
after it; `test_dashboard_sessions` covers it).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from services.dashboard.bootstrap import create_app as dashboard_app
from services.dashboard.config import DashboardSettings
from services.dashboard.service_layer import manage_staff
from services.dashboard.service_layer.manage_staff import AccountForm
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.integration.test_no_5xx_fuzz import BUDGET_SECONDS, STAFF, _app, serve_and_fuzz

pytestmark = pytest.mark.integration

BACKENDS = ("intake", "eligibility", "documents", "casework", "notifications")
PASSWORD = "kata-sandi-fuzz-123"
SKIP = frozenset({"/langsung", "/keluar"})


class Routed(httpx.AsyncBaseTransport):
    """The dashboard's service clients, each to its service's ASGI app by host:port."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transports[request.url.netloc.decode()].handle_async_request(request)


@contextlib.asynccontextmanager
async def backends(settings: DashboardSettings) -> AsyncIterator[Routed]:
    async with contextlib.AsyncExitStack() as stack:
        apps = {}
        for name in BACKENDS:
            app = _app(name)(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps[urlsplit(settings.service_url(name)).netloc] = app
        yield Routed(apps)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def test_no_generated_request_makes_the_dashboard_fail(settings: Settings) -> None:
    web = DashboardSettings(**settings.model_dump())
    async with backends(web) as transport:
        app = dashboard_app(web, transport=transport)

        async def sign_in(base_url: str) -> dict[str, str]:
            d = app.state.dashboard
            await manage_staff.create_account(
                d.pool,
                d.catalogue,
                None,
                username="lmj-fuzz",
                password=PASSWORD,
                form=AccountForm(office="lumajang", name="Fuzz", roles=[r.value for r in Role]),
            )
            async with httpx.AsyncClient(base_url=base_url) as client:
                page = await client.get("/masuk")
                form = {
                    "username": "lmj-fuzz",
                    "password": PASSWORD,
                    "csrf_token": _csrf(page.text),
                }
                r = await client.post("/masuk", data=form)
                assert r.status_code == 303, r.text
                home = await client.get("/admin/staf")
                assert home.status_code == 200, home.text
                session = client.cookies["slrt_session"]
            return {
                **STAFF,
                "Cookie": f"slrt_session={session}",
                "X-CSRF-Token": _csrf(home.text),
            }

        totals = await serve_and_fuzz(app, BUDGET_SECONDS, sign_in=sign_in, skip=SKIP)
    print(
        f"\nschemathesis dashboard: {totals.operations} operations run "
        f"({totals.skipped} past the budget), {totals.requests} requests, {totals.by_class}"
    )
    assert totals.failures == [], "\n".join(totals.failures[:20])
    assert totals.operations >= 30 and totals.requests >= 200
    assert totals.by_class.get("2xx", 0) > 0 and totals.by_class.get("4xx", 0) > 0
