"""The office dashboard (`/kantor`) for the head of office and the Kabid: today and this
month, requests by channel and by service, open, overdue, SLA compliance and the IKM,
with charts drawn on the server (SVG, each with its table), drill-down lists
(`/kantor/kasus`), and live (every case event of the office reloads the figures)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.dashboard import views
from services.dashboard.entrypoints.deps import SignedIn, get_dashboard, render, require
from shared.contracts.vocab import Role

router = APIRouter(prefix="/kantor", tags=["office"])

LEADERS = (Role.HEAD_OF_OFFICE, Role.HEAD_OF_DIVISION, Role.SECRETARY)
Slug = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_-]+$")]


@router.get("", response_class=HTMLResponse)
async def office_dashboard(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, *LEADERS)
    data = await views.office_dashboard(get_dashboard(request).services, me.token(), me.office)
    return render(
        request,
        "office.html",
        {"board": data, "live_stream": "/langsung"},
        me=me,
        active="office",
    )


@router.get("/isi", response_class=HTMLResponse)
async def office_body(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, *LEADERS)
    data = await views.office_dashboard(get_dashboard(request).services, me.token(), me.office)
    return render(request, "_office_body.html", {"board": data}, me=me)


@router.get("/kasus", response_class=HTMLResponse)
async def office_cases(
    request: Request,
    me: SignedIn,
    periode: Annotated[Literal["hari", "bulan"] | None, Query()] = None,
    kanal: Slug = None,
    layanan: Slug = None,
    varian: Slug = None,
    daftar: Annotated[Literal["terbuka", "lewat"] | None, Query()] = None,
) -> HTMLResponse:
    """The list behind a figure or a bar."""
    require(me, *LEADERS)
    data = await views.office_cases(
        get_dashboard(request).services,
        me.token(),
        me.office,
        period=periode,
        channel=kanal,
        service=layanan,
        variant=varian,
        which=daftar,
    )
    return render(request, "office_cases.html", {"list": data}, me=me, active="office")
