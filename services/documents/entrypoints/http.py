"""HTTP API of the documents service (staff only). Thin: check, call a use case, answer.

Refusals are `{"error": {"code", "message", "details"}}`: 404 unknown case or letter,
403 wrong office or role, 422 what can never be right for this case (an unknown document
type), 409 what conflicts with the case's state now (documents missing, another
official's step, the letter changed meanwhile).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.documents import views
from services.documents.domain.commands import (
    ApproveLetter,
    DraftLetter,
    ReceiveDocument,
    ResubmitLetter,
    ReturnLetter,
    SignLetter,
)
from services.documents.domain.errors import DomainError
from services.documents.service_layer import checklists, letters
from services.documents.service_layer.catalogue import get_catalogue
from services.documents.service_layer.context import Context
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.vocab import Role
from shared.eventstore.store import ConcurrencyError
from shared.http import ApiError, correlation_id
from shared.logging import bind_context
from shared.runtime import get_runtime

router = APIRouter(prefix="/v1", tags=["documents"])

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
    cmd = DraftLetter(case_id=case_id, product=body.product)
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
