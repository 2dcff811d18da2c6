"""What every page handler needs: the app's parts, the session behind the request, the
signed-in person (or a redirect to sign in), the CSRF check, and rendering.

Extension points for a page builder:
* `Me` (the `SignedIn` dependency) carries the account, its office from the catalogue and
  `me.token()`, the short-lived service token for calls through `dashboard.services`.
* `render(request, "page.html", {...}, me=me)` renders a page inside `base.html`, with the
  navigation for the person's roles and the CSRF token in place.
* Raise `Refused` anywhere (a service client does it for every refusal): the handler in
  `errors.py` shows it in Bahasa Indonesia (a whole page, or the flash area of an
  htmx request).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from services.dashboard.adapters.clients.registry import Services
from services.dashboard.adapters.live_hub import LiveHub
from services.dashboard.adapters.tokens import service_token
from services.dashboard.config import DashboardSettings
from services.dashboard.domain.accounts import Account
from services.dashboard.domain.navigation import items_for
from services.dashboard.service_layer import sessions
from services.dashboard.service_layer.identity import IdentityProvider
from shared.catalogue import Catalogue, Office
from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.runtime import ServiceRuntime

COOKIE = "slrt_session"
FLASH_COOKIE = "slrt_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# What a flash cookie may say: only these codes are shown, so the cookie carries no text.
FLASH_MESSAGES = {
    "signed_out": "Anda telah keluar.",
    "staff_created": "Akun staf dibuat.",
    "staff_updated": "Akun staf diperbarui.",
    "password_reset": "Kata sandi diatur ulang; sesi lama akun itu diakhiri.",
    "case_step_done": "Langkah dicatat.",
}


@dataclass
class Dashboard:
    """The app's parts, built once by the bootstrap."""

    runtime: ServiceRuntime
    settings: DashboardSettings
    services: Services
    hub: LiveHub
    templates: Jinja2Templates
    identity: IdentityProvider

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    @property
    def catalogue(self) -> Catalogue:
        return self.runtime.catalogue

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.settings.slrt_dashboard_session_idle_minutes)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.slrt_dashboard_session_hours)


def get_dashboard(request: Request) -> Dashboard:
    d = request.app.state.dashboard
    assert isinstance(d, Dashboard)
    return d


class NotSignedIn(Exception):
    """Raised by `SignedIn` when nobody is: answered with a redirect to the sign-in page."""


async def current_session(request: Request) -> sessions.CurrentSession | None:
    if not getattr(request.state, "session_loaded", False):
        d = get_dashboard(request)
        request.state.session = await sessions.current(
            d.pool, request.cookies.get(COOKIE), idle=d.idle
        )
        request.state.session_loaded = True
    found: sessions.CurrentSession | None = request.state.session
    return found


@dataclass
class Me:
    """The signed-in person behind a request."""

    session: sessions.CurrentSession
    account: Account
    office: Office
    dashboard: Dashboard
    _token: str | None = field(default=None, repr=False)

    @property
    def region_code(self) -> str:
        return self.office.region_code

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    def has_any(self, *roles: Role) -> bool:
        return self.account.has_any(*roles)

    def token(self) -> str:
        """The person's short-lived service token (Ed25519, a few minutes)."""
        if self._token is None:
            self._token = service_token(
                self.account,
                self.session.row.session_hash,
                self.dashboard.settings,
                self.dashboard.settings.slrt_dashboard_token_minutes,
            )
        return self._token


async def signed_in(request: Request) -> Me:
    session = await current_session(request)
    if session is None or session.account is None:
        raise NotSignedIn()
    d = get_dashboard(request)
    account = session.account
    office = d.catalogue.offices.get(account.office)
    if office is None:
        raise Refused.forbidden("unknown_office", f"Office {account.office!r} is not served.")
    me = Me(session, account, office, d)
    request.state.me = me
    return me


SignedIn = Annotated[Me, Depends(signed_in)]


def require(me: Me, *roles: Role) -> None:
    """Refuse (403 wrong_role) a person holding none of `roles`."""
    if not me.has_any(*roles):
        raise Refused.forbidden(
            "wrong_role",
            "This page needs one of the roles: " + ", ".join(sorted(r.value for r in roles)),
        )


async def csrf_guard(request: Request) -> None:
    """Every request that changes something carries the session's CSRF token: the hidden
    form field `csrf_token`, or the `X-CSRF-Token` header (htmx sends it from `<body
    hx-headers>`). A cross-site Origin is refused too. Applied to the whole app."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise Refused.forbidden("csrf_invalid", "Cross-site request refused.")
    session = await current_session(request)
    if session is None:  # refused before a byte of the form is read
        raise Refused.forbidden("csrf_invalid", "Missing or wrong CSRF token.")
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf_token):
        raise Refused.forbidden("csrf_invalid", "Missing or wrong CSRF token.")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    me: Me | None = None,
    status: int = 200,
    active: str = "",
    csrf_token: str | None = None,
) -> HTMLResponse:
    d = get_dashboard(request)
    me = me or getattr(request.state, "me", None)
    flash_code = request.cookies.get(FLASH_COOKIE)
    ctx: dict[str, Any] = {
        "request": request,
        "me": me,
        "nav": items_for(me.account.roles) if me else [],
        "active": active,
        "csrf_token": csrf_token or (me.csrf_token if me else ""),
        "flash": FLASH_MESSAGES.get(flash_code or ""),
        "notice": None,
        "region": me.region_code if me else "35.00",
        "live_stream": None,
        **(context or {}),
    }
    response = d.templates.TemplateResponse(request, template, ctx, status_code=status)
    if flash_code:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def set_session_cookie(response: Response, session_id: str, d: Dashboard) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        secure=d.settings.cookie_secure,
        samesite=d.settings.slrt_dashboard_cookie_samesite,
        path="/",
        max_age=int(d.lifetime.total_seconds()),
    )


def flash(response: Response, code: str) -> None:
    response.set_cookie(FLASH_COOKIE, code, httponly=True, samesite="lax", path="/", max_age=60)
