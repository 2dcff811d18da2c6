"""Casework's internal read API (`/v1/internal/…`, the services' shared key,
`shared.internal_api`): what a citizen may know of their own request, for the public
portal (after intake verified the ticket and check code) and for notifications'
answer to "status <ticket>". No personal data: the stage and the finer status (with why
a case is not eligible), the due time and whether the clock is paused; the wording is
the caller's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.casework import views
from services.casework.domain.model import CaseState
from services.casework.entrypoints.deps import get_casework
from shared.internal_api import require_internal_key

router = APIRouter(
    prefix="/v1/internal", tags=["internal"], dependencies=[Depends(require_internal_key)]
)


class PublicStatus(BaseModel):
    case_id: UUID
    ticket_number: str
    office: str
    service: str
    stage: str = Field(description="casework's lifecycle stage (registered … closed).")
    status: str | None = Field(
        default=None,
        description="casework's finer status as the citizen is told it "
        "(`CaseState.public_status`: not_eligible, eligible, documents_complete, "
        "letter_signed, referred, ..., letter_issued once a case's signed letter was "
        "handed over or sent, or the stage itself).",
    )
    not_eligible_because: Literal["dtks", "domicile"] | None = Field(
        default=None,
        description="Where `status` is not_eligible: not listed in DTKS/DTSEN, or the "
        "domicile is outside the office's area.",
    )
    due_at: datetime | None = Field(description="None: no deadline, or the clock is paused.")
    paused: bool
    paused_for: Literal["citizen", "agency", "counselling"] | None = Field(
        default=None,
        description="Why the clock stands: waiting for the citizen or another agency, or "
        "the client is in counselling (LK3: the standard's time leaves counselling out).",
    )
    published_time: str | None = Field(description='As published, e.g. "8 hari kerja".')


@router.get("/cases/{case_id}/public-status", response_model=PublicStatus)
async def public_status(case_id: UUID, request: Request) -> PublicStatus:
    """404 `case_not_found` (or 409 `case_not_ready`) while casework has not seen it."""
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        row = await views.case_row(conn, case_id)
        state = await views.current_state(conn, case_id)
    clock = views.clock_view(state, datetime.now(UTC), casework.standards)
    return PublicStatus(
        case_id=case_id,
        ticket_number=row["ticket_number"],
        office=row["office"],
        service=row["service"],
        stage=state.stage,
        status=state.public_status,
        not_eligible_because=_not_eligible_because(state)
        if state.status == "not_eligible"
        else None,
        due_at=None if clock.stopped_at else clock.due_at,
        paused=clock.paused,
        paused_for=_paused_for(state),
        published_time=clock.published_time,
    )


def _paused_for(state: CaseState) -> Literal["citizen", "agency", "counselling"] | None:
    clock = state.clock
    if clock is None or not clock.paused:
        return None
    why = clock.pauses[-1].waiting_for
    return why if why in ("citizen", "agency", "counselling") else None  # type: ignore[return-value]


def _not_eligible_because(state: CaseState) -> Literal["dtks", "domicile"]:
    return "dtks" if state.dtks is False else "domicile"
