"""The portal's public pages (HTML, Bahasa Indonesia; no staff token, no external assets).

| page | what |
| --- | --- |
| `GET /` | the offices |
| `GET /{office}/status`, `POST /{office}/status` (form: `ticket`, `code`) | the status page |
| `GET /survei?t=…`, `POST /survei` (form: `t`, `u1`…`u9`) | the IKM survey by its one-time link |
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from services.portal.adapters.services import Services
from services.portal.config import get_portal_settings
from services.portal.domain import pages
from services.portal.domain.throttle import Throttle
from services.portal.service_layer.answer_survey import answer_survey, open_link
from services.portal.service_layer.look_up_status import (
    Found,
    Limited,
    look_up_status,
)
from shared.catalogue import Catalogue
from shared.settings import get_settings

router = APIRouter()

_HEADERS = {
    # The pages hold a code; nobody caches or frames them, nothing loads from elsewhere.
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={**_HEADERS, **(headers or {})})


def _catalogue(request: Request) -> Catalogue:
    catalogue = request.app.state.catalogue
    assert isinstance(catalogue, Catalogue)
    return catalogue


def _services(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


def _throttle(request: Request) -> Throttle:
    throttle = request.app.state.throttle
    assert isinstance(throttle, Throttle)
    return throttle


def client_address(request: Request) -> str:
    if get_portal_settings().slrt_portal_trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def _not_an_office() -> HTMLResponse:
    return _html(
        pages.message_page("Halaman tidak ditemukan", "Kantor ini tidak ada.", warn=True), 404
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    offices = sorted((o.id, o.name) for o in _catalogue(request).offices.values())
    return _html(pages.index_page(offices))


@router.get("/{office}/status", response_class=HTMLResponse)
async def status_form(office: str, request: Request) -> HTMLResponse:
    catalogue = _catalogue(request)
    if office not in catalogue.offices:
        return _not_an_office()
    return _html(pages.lookup_form(office, catalogue.office(office).name))


@router.post("/{office}/status", response_class=HTMLResponse)
async def status_lookup(
    office: str,
    request: Request,
    ticket: Annotated[str, Form(max_length=64)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """The status, or one refusal for every kind of wrong (404); 429 over the budget."""
    catalogue = _catalogue(request)
    if office not in catalogue.offices:
        return _not_an_office()
    name = catalogue.office(office).name
    result = await look_up_status(
        _services(request),
        _throttle(request),
        catalogue,
        office=office,
        ticket=ticket,
        code=code,
        client=client_address(request),
        now=time.monotonic(),
    )
    if isinstance(result, Limited):
        page = pages.lookup_form(office, name, notice=pages.TOO_MANY_NOTICE)
        return _html(page, 429, {"Retry-After": "60"})
    if isinstance(result, Found):
        return _html(pages.status_page(office, result.view))
    return _html(pages.lookup_form(office, name, notice=pages.NOT_FOUND_NOTICE), 404)


def _office_name(request: Request, office: str) -> str:
    offices = _catalogue(request).offices
    return offices[office].name if office in offices else "Dinas Sosial"


@router.get("/survei", response_class=HTMLResponse)
async def survey_form(request: Request, t: str = "") -> HTMLResponse:
    ticket = open_link(t, secret=get_settings().slrt_survey_link_secret, now=datetime.now(UTC))
    if ticket is None:
        return _html(_invalid_link(), 404)
    name = _office_name(request, ticket.office)
    return _html(pages.survey_form(t, ticket.ticket_number, name))


def _invalid_link() -> str:
    return pages.message_page(
        "Tautan survei tidak berlaku",
        "Tautan ini tidak dikenal atau sudah kedaluwarsa.",
        warn=True,
    )


@router.post("/survei", response_class=HTMLResponse)
async def survey_submit(request: Request) -> HTMLResponse:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    token = fields.get("t", "")
    answer = await answer_survey(
        _services(request),
        token,
        pages.scores_from(fields),
        secret=get_settings().slrt_survey_link_secret,
        now=datetime.now(UTC),
    )
    match answer.outcome:
        case "accepted":
            return _html(
                pages.message_page(
                    "Terima kasih", "Jawaban survei Anda telah kami terima. Terima kasih."
                ),
                201,
            )
        case "already_used":
            text = "Survei untuk permohonan ini sudah diisi; tautan hanya dapat dipakai sekali."
            return _html(pages.message_page("Tautan sudah dipakai", text, warn=True), 409)
        case "not_finished":
            text = "Survei dapat diisi setelah permohonan Anda selesai."
            return _html(pages.message_page("Belum dapat diisi", text, warn=True), 409)
        case "scores_invalid" if answer.ticket is not None:
            page = pages.survey_form(
                token,
                answer.ticket.ticket_number,
                _office_name(request, answer.ticket.office),
                notice="Mohon jawab kesembilan pertanyaan dengan nilai 1 sampai 4.",
            )
            return _html(page, 422)
        case _:
            return _html(_invalid_link(), 404)
