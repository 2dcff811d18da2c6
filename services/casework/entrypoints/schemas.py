"""The response shapes of casework's HTTP API (the assembled read views are in `views.py`)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.casework.domain import ikm
from services.casework.domain.model import CaseStatus, Stage
from services.casework.views import TimelineItem
from shared.api_models import NEXT_CURSOR_DESCRIPTION


class CaseSummary(BaseModel):
    case_id: UUID
    office: str
    service: str
    variant: str | None
    channel: str
    ticket_number: str
    status: CaseStatus
    stage: Stage = "registered"
    queue_role: str | None = Field(default=None, description="Whose turn it is (a role).")
    due_at: datetime | None = None
    clock_paused: bool = False
    merged_into: UUID | None = None
    forwarded_to: str | None = None
    id_card_held: bool = Field(default=False, description="An ID card waits at reception.")
    assigned_to: str | None
    assignee_role: str | None
    outcome: str | None
    opened_at: datetime
    resolved_at: datetime | None
    last_position: int
    applicant_name: str | None


class CaseFile(CaseSummary):
    timeline: list[TimelineItem]


class CaseAsOf(CaseFile):
    as_of: datetime


class CaseList(BaseModel):
    office: str
    cases: list[CaseSummary]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last."
    )


class RecordedEvent(BaseModel):
    event_id: UUID
    event_type: str
    stream_version: int
    global_position: int | None


class CommandAccepted(BaseModel):
    case_id: UUID
    status: CaseStatus | None
    events: list[RecordedEvent]
    referral_id: UUID | None = None


class QueueItem(CaseSummary):
    remaining_office_seconds: float | None = Field(
        default=None, description="Office time left now; negative when overdue."
    )
    breached: bool = False
    escalated_to: str | None = None


class Queue(BaseModel):
    office: str
    role: str | None
    as_of: datetime
    cases: list[QueueItem]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class IdCard(BaseModel):
    visit_id: UUID
    case_id: UUID | None
    card_kind: str
    held_by: str
    deposited_at: datetime
    returned_at: datetime | None
    returned_by: str | None


class IdCards(BaseModel):
    office: str
    cards: list[IdCard]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class IkmView(BaseModel):
    office: str
    service: str | None
    respondents: int
    elements: dict[str, str] = Field(default_factory=lambda: dict(ikm.ELEMENTS))
    element_averages: dict[str, float] = Field(default_factory=dict)
    ikm: float | None = None
    index: float | None = None
    grade: str | None = None
    label: str | None = None


class SurveyAccepted(BaseModel):
    case_id: UUID
    survey_id: UUID


class Visit(BaseModel):
    visit_id: UUID
    queue_number: str
    purpose: str
    checked_in_by: str
    signed_at: datetime
    case_id: UUID | None
    card_kind: str | None = Field(description="The card left at reception, if any.")
    deposited_at: datetime | None
    returned_at: datetime | None


class GuestBook(BaseModel):
    office: str
    date: date
    visits: list[Visit]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class ChannelCount(BaseModel):
    channel: str
    count: int


class ServiceCount(BaseModel):
    service: str
    variant: str | None
    count: int


class OfficeSummary(BaseModel):
    """The office's figures for a period (registered, resolved) and now (open, overdue)."""

    office: str
    since: datetime
    until: datetime
    as_of: datetime
    registered: int = Field(description="Requests registered in the period.")
    by_channel: list[ChannelCount] = Field(description="Registered in the period, by channel.")
    by_service: list[ServiceCount] = Field(
        description="Registered in the period, by service and variant."
    )
    open: int = Field(description="Cases of the office open now.")
    overdue: int = Field(description="Open cases whose published time has passed, now.")
    resolved: int = Field(description="Cases resolved in the period.")
    resolved_on_time: int = Field(description="Of those, resolved within the published time.")
    sla_compliance: float | None = Field(
        description="resolved_on_time / resolved (0..1); null when nothing was resolved."
    )
