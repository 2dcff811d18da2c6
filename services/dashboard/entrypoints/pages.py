"""The pages: My work (`/`) and the case page (`/kasus/{id}`), each with the fragment
(`.../isi`) that a live change reloads.

How to add a page (see the service README, "Adding a page"): a function in `views.py`
that reads what it shows through `dashboard.services`, a route here (or in a new module
of this package, included in `bootstrap.py`) taking `me: SignedIn`, a template extending
`base.html`, and, if it is live, a `live_stream` URL plus an element with
`data-live-refresh` pointing at its fragment route.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.dashboard import views, views_case
from services.dashboard.domain.navigation import ALL_CASE_ROLES, home_for
from services.dashboard.entrypoints.deps import SignedIn, get_dashboard, render, require

router = APIRouter(tags=["pages"])

After = Annotated[
    int | None,
    Query(alias="setelah", ge=0, description="Wait (briefly) for reads to reach this position."),
]


@router.get("/", response_class=HTMLResponse)
async def my_work(request: Request, me: SignedIn) -> Response:
    if not me.has_any(*ALL_CASE_ROLES):
        home = home_for(me.account.roles)
        if home and home != "/":
            return RedirectResponse(home, status_code=303)  # an administrator's first page
    require(me, *ALL_CASE_ROLES)
    rows = await views.my_work(get_dashboard(request).services, me.token(), me.office)
    return render(
        request,
        "my_work.html",
        {"rows": rows, "live_stream": "/langsung"},
        me=me,
        active="work",
    )


@router.get("/pekerjaan/isi", response_class=HTMLResponse)
async def my_work_rows(
    request: Request,
    me: SignedIn,
    after: After = None,
    kasus: Annotated[UUID | None, Query()] = None,
) -> HTMLResponse:
    require(me, *ALL_CASE_ROLES)
    rows = await views.my_work(
        get_dashboard(request).services, me.token(), me.office, case_id=kasus, after=after
    )
    return render(request, "_work_rows.html", {"rows": rows}, me=me)


@router.get("/kasus/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, me: SignedIn, case_id: UUID) -> HTMLResponse:
    require(me, *ALL_CASE_ROLES)
    d = get_dashboard(request)
    case = await views_case.case_page(
        d.services, d.pool, me.token(), me.office, me.account, case_id
    )
    return render(
        request,
        "case.html",
        {"case": case, "live_stream": f"/langsung?kasus={case_id}"},
        me=me,
        active="work",
    )


@router.get("/kasus/{case_id}/isi", response_class=HTMLResponse)
async def case_body(
    request: Request, me: SignedIn, case_id: UUID, after: After = None
) -> HTMLResponse:
    require(me, *ALL_CASE_ROLES)
    d = get_dashboard(request)
    case = await views_case.case_page(
        d.services, d.pool, me.token(), me.office, me.account, case_id, after=after
    )
    return render(request, "_case_body.html", {"case": case}, me=me)
