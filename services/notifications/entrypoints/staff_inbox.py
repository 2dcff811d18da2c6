"""Staff HTTP API: my inbox (what I was told about my cases, and what waits at my step)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.notifications.adapters import staff_inbox
from shared.api_models import NEXT_CURSOR_DESCRIPTION
from shared.auth import Staff
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.runtime import get_runtime

router = APIRouter(prefix="/v1/staff", tags=["staff inbox"])


class Notice(BaseModel):
    notice_id: UUID
    case_id: UUID
    kind: str = Field(
        description="case_assigned, letter_waiting, letter_returned, deadline_warning, "
        "deadline_breach"
    )
    text: str = Field(description="Bahasa Indonesia.")
    to_me: bool = Field(description="Addressed to me by name (else: to my role).")
    role: str | None
    email_status: str = Field(description="pending (for the delivery worker), no_address, …")
    email_reason: str | None
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    staff_id: str
    office: str
    notices: list[Notice]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


@router.get("/inbox", response_model=Inbox)
async def my_inbox(
    request: Request,
    staff: Staff,
    unread: bool = False,
    limit: Annotated[int, limit_query()] = 200,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> Inbox:
    """Notices to me or to one of my roles at my office, newest first, a page at a time."""
    after = read_cursor(cursor, created_at=datetime.fromisoformat, notice_id=UUID)
    async with get_runtime(request).pool.acquire() as conn:
        rows = await staff_inbox.inbox(
            conn,
            staff.office,
            staff.staff_id,
            [r.value for r in staff.roles],
            unread=unread,
            limit=limit + 1,
            after=(after["created_at"], after["notice_id"]) if after else None,
        )
    rows, next_cursor = page_of(
        rows,
        limit,
        lambda n: {"created_at": n["created_at"].isoformat(), "notice_id": str(n["notice_id"])},
    )
    return Inbox(
        staff_id=staff.staff_id,
        office=staff.office,
        notices=[
            Notice(
                notice_id=r["notice_id"],
                case_id=r["case_id"],
                kind=r["kind"],
                text=r["text"],
                to_me=r["staff_id"] == staff.staff_id,
                role=r["role"],
                email_status=r["email_status"],
                email_reason=r["email_reason"],
                created_at=r["created_at"],
                read_at=r["read_at"],
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


@router.post("/inbox/{notice_id}/read", status_code=204)
async def mark_read(notice_id: UUID, request: Request, staff: Staff) -> None:
    async with get_runtime(request).pool.acquire() as conn:
        if not await staff_inbox.mark_read(conn, notice_id, staff.office):
            raise Refused.not_found("notice_not_found", f"No notice {notice_id} at your office.")
