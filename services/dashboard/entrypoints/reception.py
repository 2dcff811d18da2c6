"""Reception (`/resepsionis`): today's queue and "call next", the guest book, ID cards
held and handed back (Kupang), and the walk-in registration form driven by the office's
catalogue, ending on the receipt with the ticket number.

"Call next" is the dashboard's choice (`domain/reception.next_to_call`: the oldest visit
of today not yet called or registered), recorded through intake
(`POST /v1/desk/visits/{id}/call`, `VisitCalled`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.dashboard import views
from services.dashboard.domain import reception as rules
from services.dashboard.domain.refusals import explain
from services.dashboard.entrypoints.deps import Me, SignedIn, get_dashboard, render, require
from shared.contracts.vocab import Role
from shared.refusal import Refused

router = APIRouter(prefix="/resepsionis", tags=["reception"])

DESK = (Role.RECEPTIONIST, Role.FRONT_OFFICE)
# Who may register a request at the desk (intake's `POST /v1/requests`).
REGISTRARS = (Role.RECEPTIONIST, Role.FRONT_OFFICE, Role.OFFICER, Role.COMPLAINT_OFFICER)


async def _page(request: Request, me: Me, *, status: int = 200, **extra: Any) -> HTMLResponse:
    data = await views.reception(get_dashboard(request).services, me.token())
    context = {"desk": data, "live_stream": "/langsung", "values": {}, "new_visit": None}
    return render(
        request, "reception.html", {**context, **extra}, me=me, active="reception", status=status
    )


@router.get("", response_class=HTMLResponse)
async def reception_page(
    request: Request,
    me: SignedIn,
    baru: Annotated[UUID | None, Query(description="The visit just signed in.")] = None,
) -> HTMLResponse:
    require(me, *DESK)
    return await _page(request, me, new_visit=str(baru) if baru else None)


@router.get("/isi", response_class=HTMLResponse)
async def reception_body(request: Request, me: SignedIn) -> HTMLResponse:
    """The live part: queue, guest book and cards (reloaded on every change)."""
    require(me, *DESK)
    data = await views.reception(get_dashboard(request).services, me.token())
    return render(request, "_reception_body.html", {"desk": data}, me=me)


@router.post("/panggil", response_class=HTMLResponse)
async def call_next(request: Request, me: SignedIn) -> Response:
    """Call the oldest waiting number of today (or say nobody is waiting)."""
    require(me, *DESK)
    services = get_dashboard(request).services
    visits = await services.intake.visits_today(me.token())
    following = rules.next_to_call(visits)
    if following is None:
        raise Refused.conflict("nobody_waiting", "Nobody is waiting to be called.")
    await services.intake.call_visit(me.token(), str(following["visit_id"]))
    return RedirectResponse("/resepsionis", status_code=303)


@router.post("/tamu", response_class=HTMLResponse)
async def sign_guest_book(
    request: Request,
    me: SignedIn,
    name: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(max_length=500)],
    phone: Annotated[str, Form(max_length=32)] = "",
    nik: Annotated[str, Form(max_length=64)] = "",
    id_card_left: Annotated[Literal["", "ktp", "sim", "other"], Form()] = "",
) -> Response:
    """A visitor takes the day's queue number and signs the guest book."""
    require(me, *DESK)
    body: dict[str, Any] = {"name": name, "purpose": purpose}
    for key, value in (("phone", phone), ("nik", nik), ("id_card_left", id_card_left)):
        if value.strip():
            body[key] = value.strip()
    try:
        visit = await get_dashboard(request).services.intake.sign_guest_book(me.token(), body)
    except Refused as exc:
        values = {"name": name, "purpose": purpose, "phone": phone, "nik": nik}
        notice = explain(exc.code, exc.status, exc.message, exc.details)
        return await _page(request, me, status=exc.status, values=values, notice=notice)
    return RedirectResponse(f"/resepsionis?baru={visit['visit_id']}", status_code=303)


@router.post("/kartu/{visit_id}/kembali", response_class=HTMLResponse)
async def return_id_card(request: Request, me: SignedIn, visit_id: UUID) -> Response:
    """The ID card left at reception is handed back to its owner."""
    require(me, *DESK)
    await get_dashboard(request).services.intake.return_id_card(me.token(), str(visit_id))
    return RedirectResponse("/resepsionis", status_code=303)


# ---- the walk-in registration form ------------------------------------------------------


def _chosen(choices: list[rules.Choice], key: str | None) -> rules.Choice | None:
    return next((c for c in choices if c.key == key), None)


async def _form(
    request: Request,
    me: Me,
    *,
    key: str | None,
    visit: str | None,
    values: dict[str, Any] | None = None,
    notice: Any = None,
    status: int = 200,
) -> HTMLResponse:
    choices = await views.walk_in_choices(get_dashboard(request).services, me.token(), me.office.id)
    return render(
        request,
        "register.html",
        {
            "choices": choices,
            "chosen": _chosen(choices, key),
            "visit_id": visit or "",
            "values": values or {},
            "notice": notice,
        },
        me=me,
        active="reception",
        status=status,
    )


@router.get("/daftar", response_class=HTMLResponse)
async def registration_form(
    request: Request,
    me: SignedIn,
    pilihan: Annotated[str | None, Query(max_length=130)] = None,
    kunjungan: Annotated[UUID | None, Query()] = None,
) -> HTMLResponse:
    """Step 1: choose the service and variant; step 2 (with `pilihan`): the applicant and
    the variant's required documents as a checklist."""
    require(me, *REGISTRARS)
    return await _form(request, me, key=pilihan, visit=str(kunjungan) if kunjungan else None)


@router.post("/daftar", response_class=HTMLResponse)
async def register_walk_in(
    request: Request,
    me: SignedIn,
    pilihan: Annotated[str, Form(max_length=130)],
    name: Annotated[str, Form(max_length=200)] = "",
    nik: Annotated[str, Form(max_length=64)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
    documents: Annotated[list[str] | None, Form()] = None,
    proxy_name: Annotated[str, Form(max_length=200)] = "",
    proxy_nik: Annotated[str, Form(max_length=64)] = "",
    visit_id: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Register the walk-in with intake (`POST /v1/requests`, channel walk_in, the visit
    it came from) and show the receipt with the ticket number."""
    require(me, *REGISTRARS)
    d = get_dashboard(request)
    choices = await views.walk_in_choices(d.services, me.token(), me.office.id)
    choice = _chosen(choices, pilihan)
    if choice is None:
        raise Refused.invalid("unknown_service", f"{pilihan!r} is not a walk-in service here.")
    visit = str(UUID(visit_id)) if visit_id.strip() else None
    body = rules.walk_in_request(
        me.office.id,
        choice,
        name=name,
        nik=nik,
        phone=phone,
        description=description,
        documents=documents or [],
        visit_id=visit,
        proxy_name=proxy_name,
        proxy_nik=proxy_nik,
    )
    try:
        receipt = await d.services.intake.register(me.token(), body)
    except Refused as exc:
        values = {
            "name": name,
            "nik": nik,
            "phone": phone,
            "description": description,
            "documents": documents or [],
            "proxy_name": proxy_name,
            "proxy_nik": proxy_nik,
        }
        return await _form(
            request,
            me,
            key=pilihan,
            visit=visit,
            values=values,
            notice=explain(exc.code, exc.status, exc.message, exc.details),
            status=exc.status,
        )
    declared = set(body["documents_declared"])
    return render(
        request,
        "receipt.html",
        {
            "receipt": receipt,
            "choice": choice,
            "applicant": body["applicant"],
            "on_behalf_of": body.get("on_behalf_of"),
            "present": [doc for doc in choice.documents if doc.type in declared],
            "absent": rules.still_missing(choice, declared),
        },
        me=me,
        active="reception",
        status=201,
    )
