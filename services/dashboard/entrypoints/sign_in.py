"""Signing in and out: `/masuk` and `/keluar`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.dashboard.domain.refusals import explain
from services.dashboard.entrypoints.deps import (
    SignedIn,
    current_session,
    flash,
    get_dashboard,
    render,
    set_session_cookie,
)
from services.dashboard.service_layer import sessions
from services.dashboard.service_layer.sign_in import start_session
from shared.refusal import Refused

router = APIRouter(tags=["sign-in"])


def _safe_next(target: str | None) -> str:
    """Only a path of this app (no `//host`, no scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/masuk")
async def sign_in_page(request: Request, lanjut: str | None = None) -> Response:
    d = get_dashboard(request)
    session = await current_session(request)
    if session is not None and session.account is not None:
        return RedirectResponse(_safe_next(lanjut), status_code=303)
    new_id = None
    if session is None:
        new_id, session = await sessions.anonymous(d.pool, lifetime=d.idle)
    response = render(
        request,
        "sign_in.html",
        {"next": _safe_next(lanjut), "username": ""},
        csrf_token=session.csrf_token,
    )
    if new_id is not None:
        set_session_cookie(response, new_id, d)
    return response


@router.post("/masuk")
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    lanjut: Annotated[str, Form()] = "/",
) -> Response:
    d = get_dashboard(request)
    session = await current_session(request)  # the anonymous one: csrf_guard checked it
    assert session is not None
    client = request.client.host if request.client else None
    try:
        account = await d.identity.authenticate(username, password, client=client)
    except Refused as exc:
        return render(
            request,
            "sign_in.html",
            {
                "next": _safe_next(lanjut),
                "username": username,
                "notice": explain(exc.code, exc.status, exc.message, exc.details),
            },
            status=exc.status,
            csrf_token=session.csrf_token,
        )
    new_id, _row = await start_session(
        d.pool, account, previous_hash=session.row.session_hash, lifetime=d.lifetime
    )
    response = RedirectResponse(_safe_next(lanjut), status_code=303)
    set_session_cookie(response, new_id, d)
    return response


@router.post("/keluar")
async def sign_out(request: Request, me: SignedIn) -> Response:
    await sessions.sign_out(get_dashboard(request).pool, me.session)
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie("slrt_session", path="/")
    flash(response, "signed_out")
    return response
