"""The response shapes of intake's HTTP API (issue 18.7). The views build dictionaries;
these models say what they hold (times stay the ISO strings the views write)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from shared.api_models import IsoDate, IsoTime, OpenModel, Page


class Registered(OpenModel):
    case_id: UUID
    ticket_number: str
    status: Literal["registered"] = "registered"
    duplicate: bool = Field(description="Sent before (same channel and external_id).")
    inbound_id: UUID
    check_code: str | None = Field(
        default=None, description="The citizen's check code for the receipt: shown this once."
    )


class InboundSummary(OpenModel):
    """An inbound message as kept: where it came from and what became of it."""

    id: UUID
    received_at: IsoTime
    source: str
    status: str = Field(description="received, accepted or rejected.")
    reason: str | None
    message: str | None = Field(description="Why it was refused, for a person.")
    details: Any | None
    channel: str | None
    office: str | None
    external_id: str | None
    case_id: UUID | None
    entered_by: str | None
    entered_by_office: str | None
    correlation_id: UUID
    content_type: str | None
    body_truncated: bool
    decided_at: IsoTime | None
    anonymous: bool | None = None
    confidential: bool | None = None


class InboundMessage(InboundSummary):
    """The message with its body as received, unless this reader may not see who wrote."""

    headers: Any | None = None
    body_base64: str | None = Field(default=None, description="The exact bytes received.")
    body_text: str | None = Field(default=None, description="The same, decoded leniently.")
    body_hidden: Literal["anonymous", "confidential"] | None = Field(
        default=None, description="Why the body and headers are not shown to this reader."
    )


class InboundList(Page):
    items: list[InboundSummary]


class VariantBrief(OpenModel):
    id: str
    name: str


class ServiceBrief(OpenModel):
    id: str
    name: str
    workflow: str
    requires_dtks: bool
    channels: list[str]
    variants: list[VariantBrief]
    completion_time: str


class OfficeBrief(OpenModel):
    id: str
    name: str
    region_code: str
    services: list[ServiceBrief]


class CatalogueSummary(OpenModel):
    offices: list[OfficeBrief]


class OfficeStandards(OpenModel):
    """One office's published standards in full (officials' NIPs left out)."""

    id: str
    name: str
    address: str
    region_code: str
    signatories: dict[str, dict[str, Any]]
    services: dict[str, dict[str, Any]]


class InboundReceived(OpenModel):
    status: Literal["received"] = "received"
    inbound_ids: list[UUID] = Field(description="The messages kept, one per item received.")


class WebhookToken(OpenModel):
    response_token: str = Field(description="X's CRC answer: `sha256=` and the HMAC.")


class TriageItem(OpenModel):
    inbound_id: UUID
    office: str | None
    channel: str | None
    reason: str | None
    summary: str | None
    queued_at: IsoTime


class TriageQueue(Page):
    items: list[TriageItem]


class Classified(OpenModel):
    case_id: UUID
    ticket_number: str
    duplicate: bool


class DuplicateItem(OpenModel):
    case_id: UUID
    ticket_number: str
    duplicate_of: UUID
    duplicate_of_ticket: str
    reason: str | None
    status: Literal["suspected", "confirmed", "dismissed"]
    suspected_at: IsoTime
    decided_by: str | None


class DuplicateList(Page):
    items: list[DuplicateItem]


class DuplicateDecided(OpenModel):
    case_id: UUID
    duplicate_of: UUID
    status: Literal["confirmed", "dismissed"]


class VisitSigned(OpenModel):
    visit_id: UUID
    queue_number: str
    visit_date: IsoDate
    id_card_held: bool


class IdCard(OpenModel):
    kind: str | None
    left_at: IsoTime
    returned_at: IsoTime | None


class Visit(OpenModel):
    visit_id: UUID
    queue_number: str
    visit_date: IsoDate
    visitor_name: str | None
    purpose: str | None
    checked_in_at: IsoTime
    called_at: IsoTime | None
    case_id: UUID | None
    id_card: IdCard | None


class VisitList(Page):
    items: list[Visit]


class IdCardReturned(OpenModel):
    visit_id: UUID
    id_card: Literal["returned"] = "returned"


class VisitorCalled(OpenModel):
    visit_id: UUID
    queue_number: str
    status: Literal["called"] = "called"
