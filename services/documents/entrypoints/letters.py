"""HTTP: a case's letter: the draft (by the official casework's disposition names, where
the chain starts with one), its approval chain, the signature, the hand-over, and the
letter and its PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from services.documents import views
from services.documents.adapters.signed_pdf import signed_letter_pdf
from services.documents.config import verify_url
from services.documents.domain.commands import (
    ApproveLetter,
    DraftLetter,
    IssueLetter,
    ResubmitLetter,
    ReturnLetter,
    SignLetter,
)
from services.documents.domain.facts import case_not_found, letter_not_found
from services.documents.entrypoints.dependencies import (
    READ_ROLES,
    CatalogueOf,
    UnitOfWorkFactory,
    bind,
    pool,
)
from services.documents.entrypoints.responses import CaseLetters, Letter, LettersWaiting
from services.documents.entrypoints.schemas import (
    ApproveBody,
    DraftBody,
    IssueBody,
    ResubmitBody,
    ReturnBody,
    SignBody,
)
from services.documents.service_layer.approve_letter import approve_letter
from services.documents.service_layer.draft_letter import draft_letter
from services.documents.service_layer.issue_letter import issue_letter
from services.documents.service_layer.resubmit_letter import resubmit_letter
from services.documents.service_layer.return_letter import return_letter
from services.documents.service_layer.sign_letter import sign_letter
from shared.audit import audited
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.vocab import Channel, Role
from shared.http import correlation_id
from shared.internal_api import require_internal_key
from shared.logging import get_logger
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.reporter import MASKED, Reporting, case_reporting, mask_identity

log = get_logger(__name__)

router = APIRouter(prefix="/v1", tags=["documents"])
# What SLRT's own services read, with the shared internal key (shared/internal_api.py).
internal = APIRouter(
    prefix="/v1/internal", tags=["internal"], dependencies=[Depends(require_internal_key)]
)


async def _letter_view(request: Request, letter_id: UUID) -> dict[str, Any]:
    async with pool(request).acquire() as conn:
        view = await views.letter(conn, letter_id)
    if view is None:
        raise letter_not_found(letter_id)
    return view


def _letter_team(view: dict[str, Any]) -> set[str]:
    """The staff ids who acted on the letter: its care team (`shared.reporter`)."""
    team = {view["drafted_by"], view["signed_by"]}
    team |= {str(step.get("actor")) for step in view.get("steps_done") or [] if step.get("actor")}
    return {a.removeprefix("staff:") for a in team if a}


def _may_see(staff: StaffIdentity, view: dict[str, Any], reporting: Reporting) -> bool:
    """A confidential reporter's letter: read in full by whoever the rule allows, by the
    staff who acted on it, and by the roles of its chain (they must read it to act)."""
    return reporting.visible_to(staff, _letter_team(view)) or (
        not reporting.anonymous and staff.has_any(Role(r) for r in view["chain"])
    )


async def _as_seen_by(
    request: Request, staff: StaffIdentity, letters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Letters as this reader may see them: the body and the identity in the content
    masked where the reporter is confidential and the reader is not allowed."""
    out = []
    for view in letters:
        reporting = await case_reporting(pool(request), UUID(view["case_id"]))
        if _may_see(staff, view, reporting):
            out.append(view)
        else:
            out.append(
                {
                    **view,
                    "subject": MASKED,
                    "body": MASKED,
                    "content": mask_identity(view["content"]),
                    "identity_hidden": True,
                }
            )
    return out


@router.post(
    "/cases/{case_id}/letters", status_code=201, name="draft_letter", response_model=Letter
)
async def draft(
    case_id: UUID,
    body: DraftBody,
    request: Request,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
    catalogue: CatalogueOf,
) -> dict[str, Any]:
    """Draft the case's letter; the role of the chain's draft step drafts."""
    bind(request, case_id=case_id)
    cmd = DraftLetter(
        case_id=case_id, product=body.product, recipient=body.recipient, text=body.text
    )
    letter_id = await draft_letter(new_uow, catalogue, cmd, staff, correlation_id(request))
    return await _letter_view(request, letter_id)


@router.get(
    "/cases/{case_id}/letters",
    response_model=CaseLetters,
    dependencies=[audited("read_letters", subject="case_id", kind="case")],
)
async def get_case_letters(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    bind(request, case_id=case_id)
    async with pool(request).acquire() as conn:
        office = await views.case_office(conn, case_id)
        if office is None:
            raise case_not_found(case_id)
        authorize(staff, roles=READ_ROLES, office=office)
        items = await views.case_letters(conn, case_id)
    return {"case_id": str(case_id), "letters": await _as_seen_by(request, staff, items)}


@router.get(
    "/letters", response_model=LettersWaiting, dependencies=[audited("read_letters_waiting")]
)
async def get_letters_waiting(
    request: Request,
    staff: Staff,
    office: Annotated[str | None, Query(description="The caller's office (the default).")] = None,
    waiting_for_role: Annotated[
        list[Role] | None,
        Query(description="Roles whose step is due; default: the caller's own roles."),
    ] = None,
    status: Annotated[
        list[Literal["in_review", "approved"]] | None,
        Query(description="Default: both (approvals due, and the signature due)."),
    ] = None,
    limit: Annotated[int, limit_query()] = 200,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    """The approval inbox: the office's letters whose step now due is one of the roles,
    oldest waiting first, a page at a time (`next_cursor`). Staff of that office only."""
    bind(request)
    office = office or staff.office
    authorize(staff, roles=READ_ROLES, office=office)
    roles = sorted({r.value for r in (waiting_for_role or staff.roles)})
    statuses: list[str] = sorted(set(status or ("in_review", "approved")))
    after = read_cursor(
        cursor,
        waiting_since=datetime.fromisoformat,
        drafted_at=datetime.fromisoformat,
        letter_id=UUID,
    )
    async with pool(request).acquire() as conn:
        items = await views.letters_waiting(
            conn,
            office=office,
            roles=roles,
            statuses=statuses,
            limit=limit + 1,
            after=(after["waiting_since"], after["drafted_at"], after["letter_id"])
            if after
            else None,
        )
    items, next_cursor = page_of(
        items, limit, lambda w: {k: w[k] for k in ("waiting_since", "drafted_at", "letter_id")}
    )
    log.info(
        "letters_listed",
        office=office,
        roles=roles,
        statuses=statuses,
        count=len(items),
        actor=staff.actor,
    )
    return {
        "office": office,
        "roles": roles,
        "letters": await _as_seen_by(request, staff, items),
        "next_cursor": next_cursor,
    }


@router.get(
    "/letters/{letter_id}.pdf",
    response_class=Response,
    dependencies=[audited("read_letter_pdf", subject="letter_id", kind="letter")],
)
async def get_letter_pdf(letter_id: UUID, request: Request, staff: Staff) -> Response:
    """The signed letter as PDF, rendered from the content its hash covers."""
    view = await _letter_view(request, letter_id)
    authorize(staff, roles=READ_ROLES, office=view["office"])
    if not _may_see(staff, view, await case_reporting(pool(request), UUID(view["case_id"]))):
        # A PDF cannot be shown in part: a confidential reporter's letter is refused whole.
        raise Refused.forbidden(
            "reporter_confidential",
            "This letter names a confidential reporter: for the complaint officer and the "
            "staff of its chain.",
        )
    return await _signed_pdf(letter_id, view)


@internal.get("/letters/{letter_id}.pdf", response_class=Response)
async def get_letter_pdf_for_a_service(letter_id: UUID, request: Request) -> Response:
    """The same PDF for SLRT's own services (notifications attaches it to the citizen's
    e-mail): closed by the services' shared key, never by a staff token (the services
    cannot mint one) nor by the citizen's one-time link (that would use it up)."""
    bind(request, letter_id=letter_id)
    return await _signed_pdf(letter_id, await _letter_view(request, letter_id))


async def _signed_pdf(letter_id: UUID, view: dict[str, Any]) -> Response:
    if view["status"] != "signed" or not view["content"]:
        raise Refused.conflict(
            "letter_not_signed", "A letter has a PDF once it is signed and numbered."
        )
    pdf = await signed_letter_pdf(view["content"], verify_url(letter_id, view["content_sha256"]))
    filename = view["letter_number"].replace("/", "-") + ".pdf"
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get(
    "/letters/{letter_id}",
    response_model=Letter,
    dependencies=[audited("read_letter", subject="letter_id", kind="letter")],
)
async def get_letter(letter_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    bind(request, letter_id=letter_id)
    view = await _letter_view(request, letter_id)
    authorize(staff, roles=READ_ROLES, office=view["office"])
    return (await _as_seen_by(request, staff, [view]))[0]


@router.post("/letters/{letter_id}/approve", name="approve_letter", response_model=Letter)
async def approve(
    letter_id: UUID,
    body: ApproveBody,
    request: Request,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
    catalogue: CatalogueOf,
) -> dict[str, Any]:
    """The official of the current step approves (LetterReviewed, + LetterApproved before
    the signature)."""
    bind(request, letter_id=letter_id)
    cmd = ApproveLetter(
        letter_id=letter_id, comment=body.comment, expected_version=body.expected_version
    )
    await approve_letter(new_uow, cmd, staff, correlation_id(request), catalogue)
    return await _letter_view(request, letter_id)


@router.post("/letters/{letter_id}/return", name="return_letter", response_model=Letter)
async def return_(
    letter_id: UUID,
    body: ReturnBody,
    request: Request,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
) -> dict[str, Any]:
    bind(request, letter_id=letter_id)
    cmd = ReturnLetter(
        letter_id=letter_id, comment=body.comment, expected_version=body.expected_version
    )
    await return_letter(new_uow, cmd, staff, correlation_id(request))
    return await _letter_view(request, letter_id)


@router.post("/letters/{letter_id}/resubmit", name="resubmit_letter", response_model=Letter)
async def resubmit(
    letter_id: UUID,
    body: ResubmitBody,
    request: Request,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
    catalogue: CatalogueOf,
) -> dict[str, Any]:
    bind(request, letter_id=letter_id)
    cmd = ResubmitLetter(
        letter_id=letter_id,
        subject=body.subject,
        body=body.body,
        expected_version=body.expected_version,
    )
    await resubmit_letter(new_uow, catalogue, cmd, staff, correlation_id(request))
    return await _letter_view(request, letter_id)


@router.post("/letters/{letter_id}/sign", name="sign_letter", response_model=Letter)
async def sign(
    letter_id: UUID,
    request: Request,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
    catalogue: CatalogueOf,
    body: SignBody | None = None,
) -> dict[str, Any]:
    """The signing official signs: the letter gets its number and content hash."""
    bind(request, letter_id=letter_id)
    cmd = SignLetter(letter_id=letter_id, expected_version=body.expected_version if body else None)
    await sign_letter(new_uow, catalogue, cmd, staff, correlation_id(request))
    return await _letter_view(request, letter_id)


@router.post("/letters/{letter_id}/issue", name="issue_letter", response_model=Letter)
async def issue(
    letter_id: UUID,
    request: Request,
    staff: Staff,
    new_uow: UnitOfWorkFactory,
    catalogue: CatalogueOf,
    body: IssueBody | None = None,
) -> dict[str, Any]:
    """The signed letter is handed to the citizen (or sent): LetterIssued, once."""
    bind(request, letter_id=letter_id)
    cmd = IssueLetter(letter_id=letter_id, channel=body.channel if body else Channel.WALK_IN)
    await issue_letter(new_uow, catalogue, cmd, staff, correlation_id(request))
    return await _letter_view(request, letter_id)
