"""Staff HTTP API of notifications: what the citizen of a case was told."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.notifications import views
from services.notifications.domain.contacts import mask
from shared.auth import Staff, authorize
from shared.contracts.vocab import Role
from shared.http import correlation_id
from shared.logging import bind_context
from shared.refusal import Refused
from shared.runtime import get_runtime

router = APIRouter(prefix="/v1/cases", tags=["notifications"])

# Analysts read reports, not case files; admins run the system.
READERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN}


class ContactView(BaseModel):
    channel: str | None = Field(description="Where answers go; null: no way to reach them.")
    recipient: str | None = Field(description="Masked phone or e-mail.")
    anonymous: bool


class MessageView(BaseModel):
    notification_id: UUID
    channel: str | None
    recipient: str | None = Field(description="Masked phone or e-mail.")
    template: str
    body: str
    status: str = Field(description="recorded (kept, not sent) | sent | failed")
    error: str | None
    created_at: datetime
    sent_at: datetime | None


class CaseNotifications(BaseModel):
    case_id: UUID
    ticket_number: str
    contact: ContactView
    messages: list[MessageView]


def _without_address(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "recipient_masked"}


@router.get("/{case_id}/notifications", response_model=CaseNotifications)
async def case_notifications(case_id: UUID, request: Request, staff: Staff) -> CaseNotifications:
    """The messages for one case, oldest first (staff of the case's office). Recorded."""
    correlation = correlation_id(request)
    bind_context(case_id=str(case_id), correlation_id=str(correlation))
    async with get_runtime(request).pool.acquire() as conn, conn.transaction():
        contact = await views.case_contact(conn, case_id)
        if contact is None:
            raise Refused.not_found("case_not_found", f"No notifications know case {case_id}.")
        authorize(staff, roles=READERS, office=contact["office"])
        messages = await views.case_messages(conn, case_id)
        await views.log_read(
            conn,
            staff_id=staff.staff_id,
            office=staff.office,
            case_id=case_id,
            correlation_id=correlation,
        )
    return CaseNotifications(
        case_id=case_id,
        ticket_number=contact["ticket_number"],
        contact=ContactView(
            channel=contact["channel"],
            recipient=mask(contact["address"]) if contact["address"] else None,
            anonymous=contact["anonymous"],
        ),
        messages=[
            MessageView(recipient=m["recipient_masked"], **_without_address(m)) for m in messages
        ],
    )
