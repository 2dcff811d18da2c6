"""A letter and its approval chain, folded from the `letter-<letter_id>` stream.

The catalogue's approval chain reads `[disposition] → draft → approve* → sign`. A step
before the draft (the head of office's disposition) is casework's, not a letter step; a
letter starts at its draft, and its `chain` is the roles after the draft (after the
drafter's own rank, see below), in order: each approves, the last one signs. Steps are
numbered from 1 within that chain (`LetterReviewed.step`).

Statuses: `in_review` (approvals due), `approved` (every approval given, the signature
is due), `returned` (sent back to the drafter), `signed`.

Who may act: the holder of the role of the step now due. A caller without it gets
`wrong_role` (403) when none of their roles is in this letter's chain at all, and
`not_your_step` (409) when one is but the letter is at another step: the role is right,
the moment is not (e.g. the secretary before the head of division (Kabid) has approved, or a second
sub-coordinator after the first one approved).

A returned letter is resubmitted by the drafter's role: a new `LetterDrafted` on the same
stream (same letter id, possibly corrected text) that starts the chain again from step 1.

Where the chain begins with a `disposition` step (Kupang: the head of office disposes the
complaint letter to a competent official), the disposition is casework's, the one
disposition of the case (`CaseAssigned` kind disposition, then any `CaseDelegated`): this
service follows it from those events (`Disposed`). Before it the letter cannot be drafted
(`disposition_required`, 409); after it only the official it names drafts (`not_assigned`,
403), in the role they were given it in (any the standard's disposition allows, not only
the chain's default drafter: the Kabid the head chose drafts as Kabid). The draft then goes
up the rest of the chain above the drafter's own rank ("secara berjenjang"): a Kabid's
draft skips the Kabid's approval, it is not approved by its own author.

Separation of duties: one person takes one step. The drafter of a revision, or an official
who approved it, may not approve it again at a later step nor sign it, even with a token
holding those roles (`same_person_twice`, 403), unless the office's catalogue says
`separation_of_duties: false`.

A signed letter is issued once (`LetterIssued`): handed over at the desk or sent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from services.documents.domain.checklist import Checklist
from shared.catalogue import ApprovalStep, Product, ServiceStandard, Variant
from shared.contracts.base import Event
from shared.contracts.documents_events import CompletionPromise, LetterIssued
from shared.contracts.events import (
    LetterApproved,
    LetterDrafted,
    LetterPerson,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
)
from shared.contracts.vocab import Channel, Role
from shared.refusal import Refused

LetterStatus = Literal["in_review", "approved", "returned", "signed"]
ACTIVE_STATUSES: frozenset[str] = frozenset({"in_review", "approved", "returned"})


@dataclass(frozen=True)
class Review:
    """One official's hand on the letter: an approval or a return."""

    step: int
    role: Role
    actor: str
    comment: str = ""


@dataclass(frozen=True)
class Letter:
    letter_id: UUID
    case_id: UUID
    letter_type: str
    product: str
    subject: str
    body: str
    drafted_by: str
    chain: tuple[Role, ...]
    status: LetterStatus = "in_review"
    step: int = 1
    approvals: tuple[Review, ...] = ()
    returns: tuple[Review, ...] = ()
    revision: int = 1
    letter_number: str | None = None
    content_sha256: str | None = None
    signed_by: str | None = None
    signed_at: datetime | None = None
    issued_at: datetime | None = None
    issued_channel: Channel | None = None
    issued_by: str | None = None
    requested_at: datetime | None = None
    promise: CompletionPromise | None = None
    about: LetterPerson | None = None  # whom it is about: name, masked NIK (public page)
    version: int = 0

    @property
    def current_role(self) -> Role | None:
        if self.status in ("in_review", "approved"):
            return self.chain[self.step - 1]
        return None

    @property
    def current_action(self) -> Literal["approve", "sign"] | None:
        if self.current_role is None:
            return None
        return "sign" if self.step == len(self.chain) else "approve"

    @property
    def signing_role(self) -> Role:
        return self.chain[-1]

    @property
    def remaining(self) -> tuple[Role, ...]:
        """Roles still to act, the current one first (the whole chain while returned)."""
        if self.status == "signed":
            return ()
        if self.status == "returned":
            return self.chain
        return self.chain[self.step - 1 :]

    @property
    def approved_by(self) -> tuple[str, ...]:
        return tuple(r.actor for r in self.approvals)


# ---- the chain and the product, from the catalogue --------------------------------------


@dataclass(frozen=True)
class Disposed:
    """Who casework's disposition (or a delegation after it) gave the case to: the official
    who drafts its letter, and the role they were given it in."""

    staff_id: str
    role: Role


@dataclass(frozen=True)
class ChainPlan:
    drafter: Role
    chain: tuple[Role, ...]
    assigner: Role | None = None  # who must assign the drafting first, if anyone


def plan_chain(steps: Sequence[ApprovalStep]) -> ChainPlan:
    """Who drafts, and the roles after the draft; refuse chains this service cannot run."""
    draft_at = next((i for i, s in enumerate(steps) if s.action == "draft"), None)
    after = tuple(steps[draft_at + 1 :]) if draft_at is not None else ()
    if (
        draft_at is None
        or not after
        or after[-1].action != "sign"
        or any(s.action != "approve" for s in after[:-1])
    ):
        raise Refused.invalid(
            "no_letter_workflow",
            "This service has no letter approval chain (draft, approvals, signature) "
            "for this case.",
            details={"chain": [f"{s.role.value}:{s.action}" for s in steps]},
        )
    assigner = next((s.role for s in steps[:draft_at] if s.action == "disposition"), None)
    return ChainPlan(
        drafter=steps[draft_at].role,
        chain=tuple(s.role for s in after),
        assigner=assigner,
    )


def choose_product(service: ServiceStandard, variant: Variant, requested: str | None) -> Product:
    """The letter product asked for, or the variant's first product that is a letter."""
    letters = [
        service.product(p) for p in variant.products if service.product(p).letter_type is not None
    ]
    if requested is not None:
        for product in letters:
            if product.id == requested:
                return product
        raise Refused.invalid(
            "unknown_product",
            f"Product {requested!r} is not a letter of variant {variant.id!r}.",
            details={"allowed": [p.id for p in letters]},
        )
    if not letters:
        raise Refused.invalid(
            "no_letter_product", f"Variant {variant.id!r} issues no letter.", details={}
        )
    return letters[0]


def ensure_drafter(plan: ChainPlan, roles: Collection[Role]) -> None:
    """Only the role the chain's draft step names may draft (and resubmit)."""
    if plan.drafter not in roles:
        raise Refused.forbidden(
            "wrong_role",
            f"Drafting this letter needs the role {plan.drafter.value}.",
            details={"required_roles": [plan.drafter.value]},
        )


def drafting_role(
    plan: ChainPlan, actor: str, roles: Collection[Role], disposed: Disposed | None
) -> Role:
    """The role the caller drafts (and resubmits) in. Without a disposition step: the
    chain's draft role. With one: the disposed official only, in the role they were
    disposed (or delegated) in."""
    if plan.assigner is None:
        ensure_drafter(plan, roles)
        return plan.drafter
    if disposed is None:
        raise Refused.conflict(
            "disposition_required",
            f"The {plan.assigner.value} has not yet disposed this letter to an official "
            "(disposition, in casework).",
            details={"disposition_role": plan.assigner.value},
        )
    if actor != f"staff:{disposed.staff_id}":
        raise Refused.forbidden(
            "not_assigned",
            "The letter was disposed to another official; only they (or whom they "
            "delegate it to, in casework) draft it.",
            details={"assignee": disposed.staff_id, "role": disposed.role.value},
        )
    if disposed.role not in roles:
        raise Refused.forbidden(
            "wrong_role",
            f"The letter was disposed to you as {disposed.role.value}; act in that role.",
            details={"required_roles": [disposed.role.value]},
        )
    return disposed.role


def chain_above(plan: ChainPlan, role: Role) -> tuple[Role, ...]:
    """The chain a draft by `role` goes up: the approvals after the drafter's own rank (a
    Kabid's draft is not approved by a Kabid), then the signature."""
    approvals = plan.chain[:-1]
    if role not in approvals:
        return plan.chain
    last = max(i for i, r in enumerate(approvals) if r == role)
    return plan.chain[last + 1 :]


# ---- the fold ---------------------------------------------------------------------------


def apply(letter: Letter | None, event: Event) -> Letter:
    match event:
        case LetterDrafted():
            if letter is None:
                return Letter(
                    letter_id=event.letter_id,
                    case_id=event.case_id,
                    letter_type=event.letter_type,
                    product=event.product,
                    subject=event.subject,
                    body=event.body,
                    drafted_by=event.drafted_by,
                    chain=tuple(event.chain),
                    requested_at=event.requested_at,
                    promise=event.promise,
                    about=event.about,
                    version=1,
                )
            # A resubmission after a return: corrected text, the chain starts again.
            return replace(
                letter,
                subject=event.subject,
                body=event.body,
                drafted_by=event.drafted_by,
                chain=tuple(event.chain),
                status="in_review",
                step=1,
                approvals=(),
                revision=letter.revision + 1,
                about=event.about or letter.about,
                version=letter.version + 1,
            )
    if letter is None:
        raise ValueError(f"{event.event_type} before LetterDrafted")
    match event:
        case LetterReviewed():
            review = Review(event.step, event.role, event.reviewed_by, event.comment)
            return replace(
                letter,
                approvals=(*letter.approvals, review),
                step=event.step + 1,
                version=letter.version + 1,
            )
        case LetterApproved():
            return replace(letter, status="approved", version=letter.version + 1)
        case LetterReturned():
            back = Review(event.step, event.role, event.returned_by, event.comment)
            return replace(
                letter,
                status="returned",
                returns=(*letter.returns, back),
                version=letter.version + 1,
            )
        case LetterSigned():
            return replace(
                letter,
                status="signed",
                letter_number=event.letter_number,
                content_sha256=event.content_sha256,
                signed_by=event.signed_by,
                signed_at=event.signed_at,
                step=len(letter.chain) + 1,
                version=letter.version + 1,
            )
        case LetterIssued():
            return replace(
                letter,
                issued_at=event.issued_at,
                issued_channel=event.channel,
                issued_by=event.issued_by,
                version=letter.version + 1,
            )
    return replace(letter, version=letter.version + 1)  # an event this fold ignores


def fold(events: Iterable[Event]) -> Letter | None:
    letter: Letter | None = None
    for event in events:
        letter = apply(letter, event)
    return letter


def fold_onto(letter: Letter, events: Iterable[Event]) -> Letter:
    """The letter after further events of its stream."""
    for event in events:
        letter = apply(letter, event)
    return letter


# ---- decisions --------------------------------------------------------------------------


def ensure_can_draft(
    *,
    checklist: Checklist,
    plan: ChainPlan,
    product: Product,
    actor: str,
    roles: Collection[Role],
    requires_dtks: bool,
    dtks_status: str | None,
    existing: Sequence[tuple[UUID, str, str]] = (),
    disposed: Disposed | None = None,
) -> Role:
    """Every refusal of a draft that does not depend on its text, checked first; the role
    the caller drafts in."""
    role = drafting_role(plan, actor, roles, disposed)
    for other_id, other_product, status in existing:
        if status in ACTIVE_STATUSES:
            raise Refused.conflict(
                "letter_already_drafted",
                "This case already has a letter in progress.",
                details={"letter_id": str(other_id), "status": status},
            )
        if other_product == product.id:
            raise Refused.conflict(
                "letter_already_issued",
                f"{product.name} has already been signed for this case.",
                details={"letter_id": str(other_id)},
            )
    if not checklist.complete:
        missing = checklist.missing_documents()
        raise Refused.conflict(
            "requirements_incomplete",
            "Required documents are still missing: "
            + "; ".join(" or ".join(m.names) for m in missing)
            + ".",
            details={
                "missing": checklist.missing,
                "missing_documents": [m.model_dump(mode="json") for m in missing],
            },
        )
    if requires_dtks and dtks_status != "verified":
        raise Refused.conflict(
            "dtks_not_verified",
            "This service requires the applicant to be listed in DTKS, which is not verified.",
            details={"dtks": dtks_status or "pending"},
        )
    return role


def draft(
    *,
    letter_id: UUID,
    checklist: Checklist,
    plan: ChainPlan,
    product: Product,
    subject: str,
    body: str,
    actor: str,
    roles: Collection[Role],
    requires_dtks: bool,
    dtks_status: str | None,
    existing: Sequence[tuple[UUID, str, str]] = (),
    disposed: Disposed | None = None,
    requested_at: datetime | None = None,
    promise: CompletionPromise | None = None,
    about: LetterPerson | None = None,
) -> list[Event]:
    """Draft the case's letter. `existing`: the case's letters as (id, product, status)."""
    role = ensure_can_draft(
        checklist=checklist,
        plan=plan,
        product=product,
        actor=actor,
        roles=roles,
        requires_dtks=requires_dtks,
        dtks_status=dtks_status,
        existing=existing,
        disposed=disposed,
    )
    assert product.letter_type is not None  # choose_product gives letters only
    drafted = LetterDrafted(
        letter_id=letter_id,
        case_id=checklist.case_id,
        letter_type=product.letter_type,
        product=product.id,
        subject=subject,
        body=body,
        drafted_by=actor,
        chain=chain_above(plan, role),
        requested_at=requested_at,
        promise=promise,
        about=about,
    )
    return [drafted, *_approved_if_only_signature_left(drafted)]


def _approved_if_only_signature_left(drafted: LetterDrafted) -> list[Event]:
    # A chain of a signature alone has nothing to approve: ready to sign at once.
    if len(drafted.chain) == 1:
        return [
            LetterApproved(letter_id=drafted.letter_id, case_id=drafted.case_id, approved_by=())
        ]
    return []


def _ensure_in_chain(letter: Letter, roles: Collection[Role]) -> None:
    """Role before state: a caller none of whose roles is in this letter's chain is told
    `wrong_role` (403) whatever state the letter is in (never a 409 about its state)."""
    if not set(roles) & set(letter.chain):
        if letter.current_role is not None:
            _ensure_turn(letter, roles)  # wrong_role, naming the step now due
        raise Refused.forbidden(
            "wrong_role",
            "None of your roles takes a step of this letter's chain.",
            details={"required_roles": sorted(r.value for r in set(letter.chain))},
        )


def _ensure_open(letter: Letter) -> None:
    if letter.status == "signed":
        raise Refused.conflict(
            "letter_already_signed",
            f"The letter was signed as {letter.letter_number}; it cannot change any more.",
        )
    if letter.status == "returned":
        raise Refused.conflict(
            "letter_returned",
            "The letter was returned to the drafter; it must be resubmitted first.",
        )


def _ensure_turn(letter: Letter, roles: Collection[Role]) -> Role:
    current = letter.current_role
    assert current is not None
    if current in roles:
        return current
    details = {
        "current_step": letter.step,
        "current_role": current.value,
        "current_action": letter.current_action,
    }
    if set(roles) & set(letter.chain):
        raise Refused.conflict(
            "not_your_step",
            f"The letter is waiting for step {letter.step} ({current.value}), not for you.",
            details=details,
        )
    raise Refused.forbidden(
        "wrong_role",
        f"The step now due needs the role {current.value}.",
        details={**details, "required_roles": [current.value]},
    )


def ensure_separate(letter: Letter, actor: str, *, separation_of_duties: bool = True) -> None:
    """Separation of duties (on unless the office's catalogue turns it off): one person
    takes one step of the chain. Whoever drafted this revision, or approved it at an
    earlier step, may not approve it again at a later step nor sign it, whatever roles
    their token holds (`same_person_twice`, 403)."""
    if not separation_of_duties:
        return
    taken = ["draft"] if actor == letter.drafted_by else []
    taken += [f"step {r.step} ({r.role.value})" for r in letter.approvals if r.actor == actor]
    if taken:
        raise Refused.forbidden(
            "same_person_twice",
            "Separation of duties: you already took a step of this letter ("
            + ", ".join(taken)
            + "); another official must take this one.",
            details={"steps_taken": taken, "current_step": letter.step},
        )


def approve(
    letter: Letter,
    *,
    actor: str,
    roles: Collection[Role],
    comment: str = "",
    separation_of_duties: bool = True,
) -> list[Event]:
    """The official of the current step approves; before a signature, the letter is approved."""
    _ensure_in_chain(letter, roles)
    _ensure_open(letter)
    role = _ensure_turn(letter, roles)
    ensure_separate(letter, actor, separation_of_duties=separation_of_duties)
    if letter.current_action == "sign":
        raise Refused.conflict(
            "awaiting_signature",
            "Every approval has been given; the letter now waits for its signature.",
            details={"signing_role": letter.signing_role.value},
        )
    events: list[Event] = [
        LetterReviewed(
            letter_id=letter.letter_id,
            case_id=letter.case_id,
            step=letter.step,
            role=role,
            reviewed_by=actor,
            comment=comment,
        )
    ]
    if letter.step + 1 == len(letter.chain):
        events.append(
            LetterApproved(
                letter_id=letter.letter_id,
                case_id=letter.case_id,
                approved_by=(*letter.approved_by, actor),
            )
        )
    return events


def return_(letter: Letter, *, actor: str, roles: Collection[Role], comment: str) -> list[Event]:
    """The official of the current step (the signer too) sends the draft back."""
    _ensure_in_chain(letter, roles)
    _ensure_open(letter)
    role = _ensure_turn(letter, roles)
    if not comment.strip():
        raise Refused.invalid("comment_required", "Say why the letter is returned.")
    return [
        LetterReturned(
            letter_id=letter.letter_id,
            case_id=letter.case_id,
            step=letter.step,
            role=role,
            returned_by=actor,
            comment=comment,
        )
    ]


def resubmit(
    letter: Letter,
    *,
    actor: str,
    roles: Collection[Role],
    plan: ChainPlan,
    subject: str | None = None,
    body: str | None = None,
) -> list[Event]:
    """The drafter's role sends a returned letter up the chain again, from step 1; where a
    disposition named the drafter, the official who drafted it (their chain stays)."""
    if letter.status != "returned":
        raise Refused.conflict(
            "letter_not_returned",
            f"Only a returned letter can be resubmitted; this one is {letter.status}.",
        )
    if plan.assigner is None:
        ensure_drafter(plan, roles)
    elif actor != letter.drafted_by:
        raise Refused.forbidden(
            "not_assigned",
            "Only the official who drafted this letter resubmits it.",
            details={"drafted_by": letter.drafted_by},
        )
    drafted = LetterDrafted(
        letter_id=letter.letter_id,
        case_id=letter.case_id,
        letter_type=letter.letter_type,
        product=letter.product,
        subject=subject or letter.subject,
        body=body or letter.body,
        drafted_by=actor,
        chain=letter.chain,
        requested_at=letter.requested_at,
        promise=letter.promise,
        about=letter.about,
    )
    return [drafted, *_approved_if_only_signature_left(drafted)]


def ensure_can_sign(
    letter: Letter,
    roles: Collection[Role],
    *,
    actor: str | None = None,
    separation_of_duties: bool = True,
) -> Role:
    """Refuse before a number is taken: the letter must be approved, it is your step, and
    (with `actor`) you took no earlier step of it."""
    _ensure_in_chain(letter, roles)
    _ensure_open(letter)
    if letter.status != "approved":
        if not set(roles) & set(letter.chain):
            _ensure_turn(letter, roles)  # raises wrong_role: nothing of this chain is yours
        raise Refused.conflict(
            "letter_not_approved",
            "The letter still needs approvals before it can be signed.",
            details={"remaining": [r.value for r in letter.remaining]},
        )
    role = _ensure_turn(letter, roles)
    if actor is not None:
        ensure_separate(letter, actor, separation_of_duties=separation_of_duties)
    return role


def sign(
    letter: Letter,
    *,
    actor: str,
    roles: Collection[Role],
    letter_number: str,
    content_sha256: str,
    signed_at: datetime | None = None,
    content: dict[str, Any] | None = None,
    separation_of_duties: bool = True,
) -> list[Event]:
    role = ensure_can_sign(letter, roles, actor=actor, separation_of_duties=separation_of_duties)
    return [
        LetterSigned(
            letter_id=letter.letter_id,
            case_id=letter.case_id,
            letter_number=letter_number,
            letter_type=letter.letter_type,
            signed_by=actor,
            role=role,
            content_sha256=content_sha256,
            content=content,
            signed_at=signed_at,
            requested_at=letter.requested_at,
            promise=letter.promise,
        )
    ]


def issue(letter: Letter, *, actor: str, channel: Channel, issued_at: datetime) -> list[Event]:
    """The signed letter is handed over or sent; once."""
    if letter.status != "signed" or letter.letter_number is None:
        raise Refused.conflict(
            "letter_not_signed",
            "Only a signed letter can be issued to the citizen.",
            details={"status": letter.status},
        )
    if letter.issued_at is not None:
        raise Refused.conflict(
            "letter_already_handed_over",
            f"The letter was already issued on {letter.issued_at.isoformat()} "
            f"({letter.issued_channel}).",
            details={"issued_at": letter.issued_at.isoformat(), "channel": letter.issued_channel},
        )
    return [
        LetterIssued(
            letter_id=letter.letter_id,
            case_id=letter.case_id,
            letter_number=letter.letter_number,
            letter_type=letter.letter_type,
            issued_at=issued_at,
            channel=channel,
            issued_by=actor,
            requested_at=letter.requested_at,
            promise=letter.promise,
        )
    ]
