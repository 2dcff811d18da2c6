"""HTTP: the files citizens sent with their messages, as documents of the case: the list,
one file's bytes, and staff accepting one against a checklist item in one step."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.documents import views
from services.documents.adapters import attachments as attachment_rows
from services.documents.adapters.intake_files import IntakeFiles
from services.documents.config import get_documents_settings
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.facts import case_not_found
from services.documents.entrypoints.dependencies import READ_ROLES, UnitOfWorkFactory, bind, pool
from services.documents.entrypoints.responses import AttachmentTaken, CaseAttachments
from services.documents.service_layer.accept_attachment import accept_attachment
from services.documents.service_layer.read_case_attachment import read_case_attachment
from shared.audit import audited
from shared.auth import Staff, authorize
from shared.http import correlation_id

router = APIRouter(prefix="/v1", tags=["attachments"])


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requirement: str = Field(
        min_length=1,
        max_length=64,
        description="The checklist item (document type).",
        examples=["police_loss_report"],
    )
    form: Literal["original", "copy"] = "copy"


def _intake() -> IntakeFiles:
    return IntakeFiles(get_documents_settings().slrt_intake_url)


def _authorization(request: Request) -> str:
    return request.headers.get("authorization", "")


@router.get(
    "/cases/{case_id}/attachments",
    response_model=CaseAttachments,
    dependencies=[audited("list_attachments", subject="case_id", kind="case")],
)
async def list_attachments(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    """Every file the citizen sent on this case: kept (with SHA-256), or not fetchable
    (with the reason), and whether staff accepted it as a checklist item."""
    bind(request, case_id=case_id)
    async with pool(request).acquire() as conn:
        checklist = await views.checklist(conn, case_id)
        listed = await attachment_rows.of_case(conn, case_id)
        office = checklist["office"] if checklist else await _office_of(conn, case_id)
    if checklist is None and not listed:
        raise case_not_found(case_id)
    authorize(staff, roles=READ_ROLES, office=office)
    return {"case_id": str(case_id), "attachments": listed}


async def _office_of(conn: Any, case_id: UUID) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT office FROM documents.case_attachments WHERE case_id = $1 LIMIT 1", case_id
    )


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    response_class=Response,
    dependencies=[audited("read_attachment", subject="attachment_id", kind="attachment")],
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_attachment(
    case_id: UUID, attachment_id: UUID, request: Request, staff: Staff
) -> Response:
    """The file's bytes (`X-Content-SHA256`, equal to the one listed); the read is recorded."""
    bind(request, case_id=case_id, attachment_id=attachment_id)
    got = await read_case_attachment(
        pool(request), _intake(), staff, case_id, attachment_id, _authorization(request)
    )
    return Response(
        content=got.content,
        media_type=got.attachment.media_type,
        headers={
            "X-Content-SHA256": got.attachment.sha256 or "",
            "Content-Disposition": "attachment; filename*=UTF-8''"
            + quote(got.attachment.file_name),
            "Cache-Control": "no-store",
        },
    )


@router.post("/cases/{case_id}/attachments/{attachment_id}/accept", response_model=AttachmentTaken)
async def accept(
    case_id: UUID,
    attachment_id: UUID,
    body: AcceptBody,
    request: Request,
    response: Response,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
) -> dict[str, Any]:
    """Accept the file as a checklist item: `DocumentReceived` with the file's SHA-256,
    as if recorded at the desk with its scan. 201 recorded, 200 accepted already."""
    bind(request, case_id=case_id, attachment_id=attachment_id)
    cmd = ReceiveDocument(case_id=case_id, document_type=body.requirement, form=body.form)
    recorded = await accept_attachment(
        pool(request),
        new_uow,
        _intake(),
        staff,
        cmd,
        attachment_id,
        authorization=_authorization(request),
        correlation_id=correlation_id(request),
        max_bytes=get_documents_settings().slrt_documents_max_upload_bytes,
    )
    response.status_code = 201 if recorded else 200
    async with pool(request).acquire() as conn:
        checklist = await views.checklist(conn, case_id)
    return {"recorded": recorded, "attachment_id": str(attachment_id), "checklist": checklist}
