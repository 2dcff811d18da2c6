"""HTTP: a case's checklist: documents staff checked (with or without a scan), the
completeness decision, the checklist itself and the kept scans."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from services.documents import views
from services.documents.config import get_documents_settings
from services.documents.domain.checklist import missing_message
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.facts import case_not_found
from services.documents.domain.files import check_file, too_large
from services.documents.entrypoints.dependencies import (
    READ_ROLES,
    UnitOfWorkFactory,
    bind,
    pool,
)
from services.documents.entrypoints.responses import (
    ChecklistView,
    CompletenessDecision,
    DocumentRecorded,
)
from services.documents.entrypoints.schemas import UPLOAD_SCHEMA, DocumentBody
from services.documents.service_layer.decide_checklist import decide_checklist
from services.documents.service_layer.record_document import RECEIVE_ROLES, record_document
from services.documents.service_layer.upload_document import (
    check_before_upload,
    upload_document,
)
from shared.audit import audited
from shared.auth import Staff, authorize
from shared.body_limit import limited
from shared.http import correlation_id
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)

router = APIRouter(prefix="/v1", tags=["documents"])

_UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and the small form fields


async def _checklist_view(request: Request, case_id: UUID) -> dict[str, Any] | None:
    async with pool(request).acquire() as conn:
        return await views.checklist(conn, case_id)


@router.post("/cases/{case_id}/documents", response_model=DocumentRecorded)
async def receive_document(
    case_id: UUID,
    body: DocumentBody,
    request: Request,
    response: Response,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
) -> dict[str, Any]:
    """Record a document front office checked. 201 recorded, 200 already recorded."""
    bind(request, case_id=case_id)
    cmd = ReceiveDocument(case_id=case_id, document_type=body.document_type, form=body.form)
    recorded = await record_document(new_uow, cmd, staff, correlation_id(request))
    response.status_code = 201 if recorded else 200
    return {"recorded": recorded, "checklist": await _checklist_view(request, case_id)}


@router.post(
    "/cases/{case_id}/documents/upload",
    openapi_extra=UPLOAD_SCHEMA,
    name="upload_document",
    response_model=DocumentRecorded,
)
async def upload(
    case_id: UUID,
    request: Request,
    response: Response,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
) -> dict[str, Any]:
    """Record a checked document with its scan (multipart: document_type, form, file).

    PDF, JPEG or PNG whose bytes are what the part's content type says; at most
    SLRT_DOCUMENTS_MAX_UPLOAD_BYTES. 201 recorded, 200 already recorded with this scan.
    A refused upload stores nothing.
    """
    bind(request, case_id=case_id)
    authorize(staff, roles=RECEIVE_ROLES)  # the role before a byte of the body is read
    limit = get_documents_settings().slrt_documents_max_upload_bytes
    # Refused past the limit while it streams (a chunked body declares no length).
    streamed = limited(request, limit + _UPLOAD_OVERHEAD, lambda size, _: too_large(size, limit))
    form_data = await streamed.form(max_files=1, max_fields=10)
    try:
        fields = {k: v for k, v in form_data.items() if isinstance(v, str)}
        part = next((v for v in form_data.values() if isinstance(v, UploadFile)), None)
        try:
            body = DocumentBody.model_validate(
                {k: fields[k] for k in ("document_type", "form") if k in fields}
            )
        except ValueError as exc:
            raise Refused.invalid(
                "invalid_request", "document_type and form are required form fields."
            ) from exc
        if part is None:
            raise Refused.invalid("file_missing", "The multipart form carries no file part.")
        cmd = ReceiveDocument(case_id=case_id, document_type=body.document_type, form=body.form)
        await check_before_upload(new_uow, cmd, staff)
        content = await part.read(limit + 1)
        try:
            checked = check_file(
                content, declared_type=part.content_type, filename=part.filename, max_bytes=limit
            )
        except Refused as exc:
            # Staff's upload, refused before anything is stored: the log keeps what
            # came (size, declared type, checksum) and why, never the bytes.
            log.warning(
                "upload_refused",
                reason=exc.code,
                document_type=cmd.document_type,
                declared_type=part.content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
            raise
        recorded = await upload_document(new_uow, cmd, staff, correlation_id(request), checked)
    finally:
        await form_data.close()
    response.status_code = 201 if recorded else 200
    return {"recorded": recorded, "checklist": await _checklist_view(request, case_id)}


@router.post("/cases/{case_id}/checklist/decision", response_model=CompletenessDecision)
async def decide_completeness(
    case_id: UUID, request: Request, staff: Staff, new_uow: UnitOfWorkFactory
) -> dict[str, Any]:
    """The completeness decision. When something is missing the citizen is to be told what
    to bring: `DocumentsMissingNoted` (once per distinct list)."""
    bind(request, case_id=case_id)
    decided = await decide_checklist(new_uow, case_id, staff, correlation_id(request))
    missing = decided.missing_documents()
    return {
        "case_id": str(case_id),
        "complete": decided.complete,
        "missing": decided.missing,
        "missing_documents": [m.model_dump(mode="json") for m in missing],
        "message": missing_message(missing) if missing else "Dokumen persyaratan lengkap.",
    }


@router.get(
    "/files/{file_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
    dependencies=[audited("read_scan", subject="file_id", kind="file")],
)
async def get_file(file_id: UUID, request: Request, staff: Staff) -> Response:
    """A kept scan, for staff of the case's office."""
    bind(request, file_id=file_id)
    async with pool(request).acquire() as conn:
        row = await views.file(conn, file_id)
    if row is None:
        raise Refused.not_found("file_not_found", f"No file {file_id} is kept here.")
    authorize(staff, roles=READ_ROLES, office=row["office"])
    if row["content"] is None:
        raise Refused(
            "personal_data_erased",
            "The scan's personal data was erased (UU 27/2022): it can no longer be read.",
            status=410,
        )
    log.info("scan_read", file_id=str(file_id), actor=staff.actor)  # a read of personal data
    return Response(
        content=row["content"],
        media_type=row["content_type"],
        headers={"X-Content-SHA256": row["sha256"], "Cache-Control": "no-store"},
    )


@router.get(
    "/cases/{case_id}/checklist",
    response_model=ChecklistView,
    dependencies=[audited("read_checklist", subject="case_id", kind="case")],
)
async def get_checklist(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    bind(request, case_id=case_id)
    view = await _checklist_view(request, case_id)
    if view is None:
        raise case_not_found(case_id)
    authorize(staff, roles=READ_ROLES, office=view["office"])
    return view
