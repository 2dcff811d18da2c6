"""Staff HTTP API of notifications: what the citizen of a case was told, and the list of
messages staff deliver by hand (call-backs, letters to post) or must look at (failed,
waiting for a channel that is not configured)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.notifications import views
from services.notifications.adapters.unit_of_work import transactions
from services.notifications.domain.contacts import mask
from services.notifications.service_layer.complete_task import (
    TASK_ROLES,
    StaffHow,
    complete_task,
)
from shared.api_models import NEXT_CURSOR_DESCRIPTION
from shared.audit import audited
from shared.auth import Staff, StaffRoles, authorize
from shared.contracts.vocab import NO_CASE_ROLES, Role
from shared.http import correlation_id
from shared.logging import bind_context
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.runtime import get_runtime

router = APIRouter(prefix="/v1/cases", tags=["notifications"])
tasks = APIRouter(prefix="/v1/tasks", tags=["notifications"])

# Analysts read reports, not case files; admins run the system.
READERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN} - NO_CASE_ROLES


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
    status: str = Field(
        description="recorded (nobody to contact) | pending (the delivery worker has it; "
        "`reason` says why it waits, e.g. channel_not_configured) | task (staff deliver it "
        "by hand) | sent (NotificationDelivered) | failed (NotificationFailed)"
    )
    error: str | None = Field(description="Failed: the provider's reason.")
    reason: str | None = Field(
        default=None, description="Pending: channel_not_configured, or the last error."
    )
    attempts: int = 0
    task_kind: str | None = Field(default=None, description="call_back | print")
    delivered_how: str | None = None
    delivered_by: str | None = None
    provider_status: str | None = Field(
        default=None, description="What the provider reported later: delivered, read."
    )
    created_at: datetime
    sent_at: datetime | None


class CaseNotifications(BaseModel):
    case_id: UUID
    ticket_number: str
    contact: ContactView
    messages: list[MessageView]


def _without_address(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "recipient_masked"}


@router.get(
    "/{case_id}/notifications",
    response_model=CaseNotifications,
    dependencies=[audited("read_notifications", subject="case_id", kind="case")],
)
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


class TaskView(BaseModel):
    notification_id: UUID
    case_id: UUID
    ticket_number: str
    kind: str = Field(
        description="call_back (telephone, walk-in) | print (post) | undelivered (failed: "
        "reach the citizen another way) | not_configured (the channel has no credentials)"
    )
    channel: str
    recipient: str | None = Field(
        description="The full phone, address or id: staff must reach them (none once the "
        "person's data was erased)."
    )
    template: str
    body: str
    status: str
    reason: str | None = Field(description="Why it is on the list (the provider's reason).")
    attempts: int
    created_at: datetime


class TaskList(BaseModel):
    office: str
    tasks: list[TaskView]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class TaskDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    how: StaffHow = Field(
        description="telephone_call, in_person (handed over at the desk), post (printed, posted)."
    )


class TaskDoneAnswer(BaseModel):
    notification_id: UUID
    status: Literal["sent"]
    event_ids: list[UUID]


@tasks.get("", response_model=TaskList)
async def task_list(
    request: Request,
    staff: Staff,
    office: str | None = None,
    kind: Literal["call_back", "print", "undelivered", "not_configured"] | None = Query(
        default=None
    ),
    limit: Annotated[int, limit_query()] = 500,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> TaskList:
    """The office's messages for staff to deliver by hand or look at, oldest first. The
    read is logged."""
    office = office or staff.office
    authorize(staff, roles=TASK_ROLES, office=office)
    correlation = correlation_id(request)
    after = read_cursor(cursor, created_at=datetime.fromisoformat, notification_id=UUID)
    async with get_runtime(request).pool.acquire() as conn, conn.transaction():
        rows = await views.open_tasks(
            conn,
            office,
            kind,
            limit=limit + 1,
            after=(after["created_at"], after["notification_id"]) if after else None,
        )
        await views.log_read(
            conn,
            staff_id=staff.staff_id,
            office=staff.office,
            case_id=None,
            correlation_id=correlation,
            purpose="task_list",
        )
    page, next_cursor = page_of(
        rows,
        limit,
        lambda t: {
            "created_at": t["created_at"].isoformat(),
            "notification_id": str(t["notification_id"]),
        },
    )
    return TaskList(office=office, tasks=[TaskView(**r) for r in page], next_cursor=next_cursor)


@tasks.post(
    "/{notification_id}/done",
    response_model=TaskDoneAnswer,
    dependencies=[Depends(StaffRoles(*TASK_ROLES))],  # before the body (shared.door)
)
async def task_done(
    notification_id: UUID, body: TaskDone, request: Request, staff: Staff
) -> TaskDoneAnswer:
    """Staff delivered the message themselves: `NotificationDelivered` with how and who."""
    runtime = get_runtime(request)
    appended = await complete_task(
        transactions(runtime.pool, runtime.store),
        notification_id,
        body.how,
        staff,
        correlation_id(request),
    )
    return TaskDoneAnswer(
        notification_id=notification_id, status="sent", event_ids=[e.event_id for e in appended]
    )
