"""HTTP: the bytes of a file a citizen sent, for staff of the office (documents lists the
case's attachments and fetches them here with the staff member's token)."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.intake.entrypoints.deps import new_uow
from services.intake.service_layer.read_attachment import read_attachment
from shared.audit import audited
from shared.auth import Staff
from shared.http import correlation_id
from shared.logging import bind_context

router = APIRouter(prefix="/v1", tags=["attachments"])


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    dependencies=[audited("read_attachment", subject="attachment_id", kind="attachment")],
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_attachment(attachment_id: UUID, request: Request, staff: Staff) -> Response:
    """The kept bytes (`X-Content-SHA256`); every read is recorded. 409
    `attachment_not_fetched` while a WhatsApp media is pending or after it failed."""
    bind_context(correlation_id=str(correlation_id(request)), attachment_id=str(attachment_id))
    found = await read_attachment(new_uow(request), staff, attachment_id)
    assert found.content is not None
    assert found.sha256 is not None
    return Response(
        content=found.content,
        media_type=found.media_type,
        headers={
            "X-Content-SHA256": found.sha256,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.file_name)}",
            "Cache-Control": "no-store",
        },
    )
