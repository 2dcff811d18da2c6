"""HTTP API of the documents service. Thin: check, call a use case, answer.

Staff only, except `GET /v1/verify/{letter_id}?h=<hash>`: the public page the QR code
on a printed letter opens (HTML in Bahasa Indonesia, or JSON).

Refusals are `{"error": {"code", "message", "details"}}`: 404 unknown case or letter,
403 wrong office or role, 422 what can never be right for this case (an unknown document
type), 409 what conflicts with the case's state now (documents missing, another
official's step, the letter changed meanwhile).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from services.documents import views
from services.documents.adapters.pdf import render_letter
from services.documents.config import get_documents_settings, verify_url
from services.documents.domain.checklist import missing_message
from services.documents.domain.commands import (
    ApproveLetter,
    AssignDrafting,
    DraftLetter,
    IssueLetter,
    ReceiveDocument,
    ResubmitLetter,
    ReturnLetter,
    SignLetter,
)
from services.documents.domain.errors import DomainError
from services.documents.domain.files import check_file, too_large
from services.documents.service_layer import checklists, letters, verification
from services.documents.service_layer.catalogue import get_catalogue
from services.documents.service_layer.context import Context
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import ConcurrencyError
from shared.http import ApiError, correlation_id
from shared.logging import bind_context, get_logger
from shared.runtime import get_runtime

log = get_logger(__name__)

router = APIRouter(prefix="/v1", tags=["documents"])
public = APIRouter(prefix="/v1", tags=["verification"])

# Every staff role of the office may look; analysts read reports, not case files.
READ_ROLES = tuple(r for r in Role if r is not Role.ANALYST)

_STATUS = {
    "case_not_found": 404,
    "letter_not_found": 404,
    "wrong_role": 403,
    "wrong_office": 403,
    "unknown_document_type": 422,
    "original_required": 422,
    "unknown_product": 422,
    "no_letter_product": 422,
    "no_letter_workflow": 422,
    "no_signatory": 422,
    "comment_required": 422,
    "copy_required": 422,
    "not_assigned": 403,
    "no_disposition_step": 422,
    "letter_field_required": 422,
    "file_too_large": 413,
    "unsupported_file_type": 415,
    "file_type_mismatch": 422,
    "file_empty": 422,
    "variant_not_set": 409,
}  # anything else the domain refuses conflicts with the current state: 409


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise ApiError(
            _STATUS.get(exc.code, 409), exc.code, exc.message, details=exc.details
        ) from exc
    except ConcurrencyError as exc:
        raise ApiError(
            409,
            "conflict",
            "Someone else acted on this at the same moment; reload and try again.",
            details={"stream_id": exc.stream_id},
        ) from exc


def _context(request: Request) -> Context:
    runtime = get_runtime(request)
    return Context(runtime.pool, runtime.store, get_catalogue())


def _bind(request: Request, **ids: UUID) -> None:
    bind_context(
        correlation_id=str(correlation_id(request)),
        path=request.url.path,
        **{k: str(v) for k, v in ids.items()},
    )


# ---- bodies -----------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentBody(_Body):
    document_type: str = Field(min_length=1, max_length=64, examples=["ktp"])
    form: Literal["original", "copy"] = "copy"


class DraftBody(_Body):
    product: str | None = Field(default=None, examples=["reset-pin-letter"])
    recipient: str | None = Field(
        default=None, max_length=500, examples=["Kepala Dinas Kesehatan Kota Mataram"]
    )
    text: str | None = Field(
        default=None,
        max_length=20_000,
        description="The drafter's paragraphs: a complaint answer, a referral's reason.",
    )


class DispositionBody(_Body):
    assignee: str = Field(min_length=1, max_length=200, description="Staff id of the drafter.")
    note: str = Field(default="", max_length=2000)


class IssueBody(_Body):
    channel: Channel = Field(
        default=Channel.WALK_IN, description="walk_in: handed over at the desk; else sent."
    )


class ApproveBody(_Body):
    comment: str = Field(default="", max_length=5000)
    expected_version: int | None = Field(
        default=None, description="The letter version the official saw; stale -> 409 conflict."
    )


class ReturnBody(_Body):
    comment: str = Field(min_length=1, max_length=5000)
    expected_version: int | None = None


class ResubmitBody(_Body):
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    expected_version: int | None = None


class SignBody(_Body):
    expected_version: int | None = None


# ---- checklist --------------------------------------------------------------------------


@router.post("/cases/{case_id}/documents")
async def receive_document(
    case_id: UUID, body: DocumentBody, request: Request, response: Response, staff: Staff
) -> dict[str, Any]:
    """Record a document front office checked. 201 recorded, 200 already recorded."""
    _bind(request, case_id=case_id)
    ctx = _context(request)
    cmd = ReceiveDocument(case_id=case_id, document_type=body.document_type, form=body.form)
    with refusals():
        recorded = await checklists.receive_document(ctx, cmd, staff, correlation_id(request))
    response.status_code = 201 if recorded else 200
    async with ctx.pool.acquire() as conn:
        view = await views.checklist(conn, case_id)
    return {"recorded": recorded, "checklist": view}


_UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and the small form fields


_UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["document_type", "file"],
                    "properties": {
                        "document_type": {"type": "string", "examples": ["ktp"]},
                        "form": {"type": "string", "enum": ["original", "copy"]},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PDF, JPEG or PNG; its part's content type must "
                            "match its bytes.",
                        },
                    },
                }
            }
        },
    }
}


@router.post("/cases/{case_id}/documents/upload", openapi_extra=_UPLOAD_SCHEMA)
async def upload_document(
    case_id: UUID, request: Request, response: Response, staff: Staff
) -> dict[str, Any]:
    """Record a checked document with its scan (multipart: document_type, form, file).

    PDF, JPEG or PNG whose bytes are what the part's content type says; at most
    SLRT_DOCUMENTS_MAX_UPLOAD_BYTES. 201 recorded, 200 already recorded with this scan.
    A refused upload stores nothing.
    """
    _bind(request, case_id=case_id)
    ctx = _context(request)
    limit = get_documents_settings().slrt_documents_max_upload_bytes
    declared_length = request.headers.get("content-length", "")
    with refusals():
        if declared_length.isdigit() and int(declared_length) > limit + _UPLOAD_OVERHEAD:
            raise too_large(int(declared_length), limit)
    form_data = await request.form(max_files=1, max_fields=10)
    try:
        fields = {k: v for k, v in form_data.items() if isinstance(v, str)}
        upload = next((v for v in form_data.values() if isinstance(v, UploadFile)), None)
        try:
            body = DocumentBody.model_validate(
                {k: fields[k] for k in ("document_type", "form") if k in fields}
            )
        except ValueError as exc:
            raise ApiError(
                422, "invalid_request", "document_type and form are required form fields."
            ) from exc
        if upload is None:
            raise ApiError(422, "file_missing", "The multipart form carries no file part.")
        cmd = ReceiveDocument(case_id=case_id, document_type=body.document_type, form=body.form)
        with refusals():
            await checklists.check_document_first(ctx, cmd, staff)
            content = await upload.read(limit + 1)
            try:
                checked = check_file(
                    content,
                    declared_type=upload.content_type,
                    filename=upload.filename,
                    max_bytes=limit,
                )
            except DomainError as exc:
                # Staff's upload, refused before anything is stored: the log keeps what
                # came (size, declared type, checksum) and why, never the bytes.
                log.warning(
                    "upload_refused",
                    reason=exc.code,
                    document_type=cmd.document_type,
                    declared_type=upload.content_type,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                )
                raise
            recorded = await checklists.receive_document(
                ctx, cmd, staff, correlation_id(request), file=checked
            )
    finally:
        await form_data.close()
    response.status_code = 201 if recorded else 200
    async with ctx.pool.acquire() as conn:
        view = await views.checklist(conn, case_id)
    return {"recorded": recorded, "checklist": view}


@router.post("/cases/{case_id}/checklist/decision")
async def decide_completeness(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    """The completeness decision. When something is missing the citizen is to be told what
    to bring: `DocumentsMissingNoted` (once per distinct list)."""
    _bind(request, case_id=case_id)
    ctx = _context(request)
    with refusals():
        before = await checklists.note_missing(ctx, case_id, staff, correlation_id(request))
    missing = before.missing_documents()
    return {
        "case_id": str(case_id),
        "complete": before.complete,
        "missing": before.missing,
        "missing_documents": [m.model_dump(mode="json") for m in missing],
        "message": missing_message(missing) if missing else "Dokumen persyaratan lengkap.",
    }


@router.get("/files/{file_id}")
async def get_file(file_id: UUID, request: Request, staff: Staff) -> Response:
    """A kept scan, for staff of the case's office."""
    _bind(request, file_id=file_id)
    async with get_runtime(request).pool.acquire() as conn:
        row = await views.file(conn, file_id)
    if row is None:
        raise ApiError(404, "file_not_found", f"No file {file_id} is kept here.")
    authorize(staff, roles=READ_ROLES, office=row["office"])
    log.info("scan_read", file_id=str(file_id), actor=staff.actor)  # a read of personal data
    return Response(
        content=bytes(row["content"]),
        media_type=row["content_type"],
        headers={"X-Content-SHA256": row["sha256"], "Cache-Control": "no-store"},
    )


@router.get("/cases/{case_id}/checklist")
async def get_checklist(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    _bind(request, case_id=case_id)
    async with get_runtime(request).pool.acquire() as conn:
        view = await views.checklist(conn, case_id)
    if view is None:
        raise _case_not_found(case_id)
    authorize(staff, roles=READ_ROLES, office=view["office"])
    return view


def _case_not_found(case_id: UUID) -> ApiError:
    err = checklists.case_not_found(case_id)
    return ApiError(404, err.code, err.message)


# ---- letters ----------------------------------------------------------------------------


async def _letter_view(request: Request, letter_id: UUID) -> dict[str, Any]:
    async with get_runtime(request).pool.acquire() as conn:
        view = await views.letter(conn, letter_id)
    if view is None:
        raise ApiError(404, "letter_not_found", f"No letter {letter_id} is known here.")
    return view


@router.post("/cases/{case_id}/letters", status_code=201)
async def draft_letter(
    case_id: UUID, body: DraftBody, request: Request, staff: Staff
) -> dict[str, Any]:
    """Draft the case's letter; the role of the chain's draft step drafts."""
    _bind(request, case_id=case_id)
    cmd = DraftLetter(
        case_id=case_id, product=body.product, recipient=body.recipient, text=body.text
    )
    with refusals():
        letter_id = await letters.draft_letter(
            _context(request), cmd, staff, correlation_id(request)
        )
    return await _letter_view(request, letter_id)


@router.get("/cases/{case_id}/letters")
async def get_case_letters(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    _bind(request, case_id=case_id)
    async with get_runtime(request).pool.acquire() as conn:
        office = await views.case_office(conn, case_id)
        if office is None:
            raise _case_not_found(case_id)
        authorize(staff, roles=READ_ROLES, office=office)
        items = await views.case_letters(conn, case_id)
    return {"case_id": str(case_id), "letters": items}


@router.post("/cases/{case_id}/disposition")
async def assign_drafting(
    case_id: UUID, body: DispositionBody, request: Request, staff: Staff
) -> dict[str, Any]:
    """The disposition where the chain starts with one (Kupang): who drafts the letter."""
    _bind(request, case_id=case_id)
    cmd = AssignDrafting(case_id=case_id, assignee=body.assignee, note=body.note)
    with refusals():
        await letters.assign_drafting(_context(request), cmd, staff, correlation_id(request))
    return {"case_id": str(case_id), "assignee": body.assignee, "note": body.note}


@router.get("/letters/{letter_id}.pdf", response_class=Response)
async def get_letter_pdf(letter_id: UUID, request: Request, staff: Staff) -> Response:
    """The signed letter as PDF, rendered from the content its hash covers."""
    view = await _letter_view(request, letter_id)
    authorize(staff, roles=READ_ROLES, office=view["office"])
    if view["status"] != "signed" or not view["content"]:
        raise ApiError(
            409, "letter_not_signed", "A letter has a PDF once it is signed and numbered."
        )
    pdf = render_letter(view["content"], verify_url(letter_id, view["content_sha256"]))
    filename = view["letter_number"].replace("/", "-") + ".pdf"
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/letters/{letter_id}")
async def get_letter(letter_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    _bind(request, letter_id=letter_id)
    view = await _letter_view(request, letter_id)
    authorize(staff, roles=READ_ROLES, office=view["office"])
    return view


async def _run(
    request: Request, letter_id: UUID, use_case: Any, cmd: Any, staff: StaffIdentity
) -> dict[str, Any]:
    _bind(request, letter_id=letter_id)
    with refusals():
        await use_case(_context(request), cmd, staff, correlation_id(request))
    return await _letter_view(request, letter_id)


@router.post("/letters/{letter_id}/approve")
async def approve_letter(
    letter_id: UUID, body: ApproveBody, request: Request, staff: Staff
) -> dict[str, Any]:
    """The official of the current step approves (LetterReviewed, + LetterApproved before
    the signature)."""
    cmd = ApproveLetter(
        letter_id=letter_id, comment=body.comment, expected_version=body.expected_version
    )
    return await _run(request, letter_id, letters.approve_letter, cmd, staff)


@router.post("/letters/{letter_id}/return")
async def return_letter(
    letter_id: UUID, body: ReturnBody, request: Request, staff: Staff
) -> dict[str, Any]:
    cmd = ReturnLetter(
        letter_id=letter_id, comment=body.comment, expected_version=body.expected_version
    )
    return await _run(request, letter_id, letters.return_letter, cmd, staff)


@router.post("/letters/{letter_id}/resubmit")
async def resubmit_letter(
    letter_id: UUID, body: ResubmitBody, request: Request, staff: Staff
) -> dict[str, Any]:
    cmd = ResubmitLetter(
        letter_id=letter_id,
        subject=body.subject,
        body=body.body,
        expected_version=body.expected_version,
    )
    return await _run(request, letter_id, letters.resubmit_letter, cmd, staff)


@router.post("/letters/{letter_id}/sign")
async def sign_letter(
    letter_id: UUID, request: Request, staff: Staff, body: SignBody | None = None
) -> dict[str, Any]:
    """The signing official signs: the letter gets its number and content hash."""
    cmd = SignLetter(letter_id=letter_id, expected_version=body.expected_version if body else None)
    return await _run(request, letter_id, letters.sign_letter, cmd, staff)


@router.post("/letters/{letter_id}/issue")
async def issue_letter(
    letter_id: UUID, request: Request, staff: Staff, body: IssueBody | None = None
) -> dict[str, Any]:
    """The signed letter is handed to the citizen (or sent): LetterIssued, once."""
    cmd = IssueLetter(letter_id=letter_id, channel=body.channel if body else Channel.WALK_IN)
    return await _run(request, letter_id, letters.issue_letter, cmd, staff)


# ---- public verification ----------------------------------------------------------------


@public.get("/verify/{letter_id}", response_model=None)
async def verify_letter(
    letter_id: UUID,
    request: Request,
    h: str = Query(max_length=128, description="The content hash printed in the QR code."),
    format: Literal["html", "json"] | None = Query(default=None),
) -> Response:
    """Is this letter genuine? No sign-in; shows no more than the letter itself (less)."""
    _bind(request, letter_id=letter_id)
    async with get_runtime(request).pool.acquire() as conn:
        result = await verification.verify(conn, letter_id, h)
    wants_json = format == "json" or (
        format is None and "application/json" in request.headers.get("accept", "")
    )
    status = 200 if result["found"] else 404
    if wants_json:
        return JSONResponse(result, status_code=status)
    return HTMLResponse(verification.page(result), status_code=status)
