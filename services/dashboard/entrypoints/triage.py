"""Triage and duplicates (`/triase`): what no rule could classify, classified by choosing
one of the office's services and variants (intake `POST /v1/triage/{id}/classify`); and
suspected duplicates side by side, confirmed (casework merges) or dismissed."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.dashboard import views
from services.dashboard.domain import reception as rules
from services.dashboard.entrypoints.deps import SignedIn, get_dashboard, render, require
from shared.contracts.vocab import Role
from shared.refusal import Refused

router = APIRouter(prefix="/triase", tags=["triage"])

# intake's TRIAGE_ROLES, less the administrator (who reads no office's cases here).
TRIAGERS = (Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.OFFICER)
TICKET = r"^[A-Z]{2,4}-\d{4}-\d{6}$"


@router.get("", response_class=HTMLResponse)
async def triage_page(
    request: Request,
    me: SignedIn,
    tiket: Annotated[str | None, Query(pattern=TICKET)] = None,
) -> HTMLResponse:
    require(me, *TRIAGERS)
    data = await views.triage(get_dashboard(request).services, me.token(), me.office)
    return render(
        request,
        "triage.html",
        {"triage": data, "live_stream": "/langsung", "ticket": tiket},
        me=me,
        active="triage",
    )


@router.get("/isi", response_class=HTMLResponse)
async def triage_body(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, *TRIAGERS)
    data = await views.triage(get_dashboard(request).services, me.token(), me.office)
    return render(request, "_triage_body.html", {"triage": data}, me=me)


@router.post("/{inbound_id}/klasifikasi", response_class=HTMLResponse)
async def classify(
    request: Request,
    me: SignedIn,
    inbound_id: UUID,
    pilihan: Annotated[str, Form(max_length=130)],
) -> Response:
    """The message is the chosen service and variant of this office: it becomes a case."""
    require(me, *TRIAGERS)
    services = get_dashboard(request).services
    standards = await services.intake.office_catalogue(me.token(), me.office.id)
    choice = next((c for c in rules.all_choices(standards) if c.key == pilihan), None)
    if choice is None:
        raise Refused.invalid("unknown_service", f"{pilihan!r} is not a service of this office.")
    made = await services.intake.classify(
        me.token(),
        str(inbound_id),
        {"office": me.office.id, "service": choice.service, "variant": choice.variant},
    )
    return RedirectResponse(f"/triase?tiket={made['ticket_number']}", status_code=303)


@router.post("/duplikat/{case_id}/{decision}", response_class=HTMLResponse)
async def decide_duplicate(
    request: Request,
    me: SignedIn,
    case_id: UUID,
    decision: Literal["confirm", "dismiss"],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Confirm (the newer case is merged into the earlier one) or dismiss."""
    require(me, *TRIAGERS)
    await get_dashboard(request).services.intake.decide_duplicate(
        me.token(), str(case_id), decision, reason
    )
    return RedirectResponse("/triase", status_code=303)
