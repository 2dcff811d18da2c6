"""`/persetujuan`, the approval inbox: the office's letters waiting at the signed-in
person's step of the chain (an approval or the signature), oldest first, live (any change
in the office reloads the list). Each row leads to the case page, where the letter is read
and approved, returned with a comment, or signed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.dashboard import views_case
from services.dashboard.domain.navigation import ALL_CASE_ROLES
from services.dashboard.entrypoints.deps import SignedIn, get_dashboard, render, require

router = APIRouter(tags=["approvals"])


@router.get("/persetujuan", response_class=HTMLResponse)
async def inbox(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, *ALL_CASE_ROLES)
    rows = await views_case.approval_inbox(get_dashboard(request).services, me.token(), me.office)
    return render(
        request,
        "approvals.html",
        {"rows": rows, "live_stream": "/langsung"},
        me=me,
        active="approvals",
    )


@router.get("/persetujuan/isi", response_class=HTMLResponse)
async def inbox_rows(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, *ALL_CASE_ROLES)
    rows = await views_case.approval_inbox(get_dashboard(request).services, me.token(), me.office)
    return render(request, "_approval_rows.html", {"rows": rows}, me=me)
