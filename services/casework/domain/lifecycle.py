"""The case lifecycle: the one transition table and every lifecycle decision.

Each decision takes the state folded from the case's facts and returns the new events,
or raises `shared.refusal.Refused` with a machine-readable reason. No I/O here.

Every transition goes through `allow`, which checks the one transition table (`ALLOWED`,
action -> the stages it may start from): an illegal transition is refused with
`illegal_transition` (or `already_resolved` on a resolved or closed case) and the stage,
the action and the stages it is allowed from in `details`.

Social-work decisions are in `social_work.py`, referrals in `referrals.py`, the deadline
clock's warnings and escalations in `escalation.py`; they use the same table.
"""

from __future__ import annotations

from typing import Literal

from services.casework.domain.commands import (
    AnswerCase,
    AssignCase,
    DelegateCase,
    ForwardCase,
    PauseCase,
    ResolveCase,
    Transition,
)
from services.casework.domain.model import PAUSED_STAGES, CaseState
from shared.catalogue import DispositionRule
from shared.contracts.base import Event
from shared.contracts.case_stages import OPEN_WORK
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseClosed,
    CaseDelegated,
    CaseFileOpened,
    CaseForwarded,
    CaseMerged,
    CasePaused,
    CaseReopened,
    CaseResumed,
    CaseTransferred,
    CaseWorkStarted,
    DuplicateMerged,
)
from shared.contracts.events import CaseAssigned, CaseResolved
from shared.refusal import Refused

SYSTEM_ACTOR = "system:casework"

AssignmentKind = Literal["assignment", "disposition", "handover"]

# ---- the transition table --------------------------------------------------------------

ALLOWED: dict[str, frozenset[str]] = {
    "take_up": frozenset({"registered"}),
    "hand_to_back_office": frozenset({"registered", "front_office"}),
    "assign": OPEN_WORK,
    "start_work": frozenset({"assigned"}),
    "pause": OPEN_WORK - {"registered"},
    "resume": PAUSED_STAGES,
    "answer": OPEN_WORK,
    "resolve": OPEN_WORK | {"answered"},
    "close": frozenset({"answered", "resolved"}),
    "reopen": frozenset({"answered", "resolved", "closed"}),
    "forward": OPEN_WORK,
    "merge": OPEN_WORK | PAUSED_STAGES | {"answered"},
    "record_identity": frozenset({"registered", "front_office"}),
    "record_assessment": frozenset({"assigned", "in_progress"}),
    "record_consultation": frozenset({"in_progress"}),
    "record_counselling": frozenset({"in_progress"}),
    "refer": OPEN_WORK | {"answered"},
    "answer_referral": OPEN_WORK | PAUSED_STAGES | {"answered", "resolved"},
    "close_referral": OPEN_WORK | PAUSED_STAGES | {"answered", "resolved", "closed"},
}


# Work for the office's own residents: refused once eligibility recorded the domicile as
# refused (and not verified since). Forwarding, pausing, answering, closing stay open.
NEEDS_DOMICILE: frozenset[str] = frozenset(
    {"assign", "record_assessment", "record_consultation", "record_counselling", "refer"}
)

# The outcome of a case resolved by its signed letter (`resolve_when_letter_signed`).
LETTER_ISSUED = "letter_issued"

# What a service whose standard goes on after its letter still does on a case that its
# signed letter resolved (and nobody has closed since). Pariaman's DTKS certificate is the
# basis of every assistance programme: after it is printed (step 7) the front office may
# still refer the citizen to a programme (steps 8-9), who goes home or on to the
# programme's agency (step 10). Which services: `CaseStandards.goes_on_after_letter`.
AFTER_LETTER: frozenset[str] = frozenset({"refer"})


def resolved_by_letter(state: CaseState) -> bool:
    """The case stands resolved by its signed letter (not closed, not by another outcome)."""
    return (
        state.stage == "resolved"
        and state.outcome == LETTER_ISSUED
        and state.letter_stage == "signed"
    )


def allow(state: CaseState, action: str, *, after_letter: bool = False) -> None:
    """Refuse (409) unless the case's stage allows `action`, and, for the work of
    `NEEDS_DOMICILE`, unless the citizen's domicile was not refused.

    `after_letter`: the case's standard goes on after its letter, so an `AFTER_LETTER`
    action is also allowed on a case its signed letter resolved (never once closed)."""
    allowed = ALLOWED[action]
    if state.stage in allowed or (
        after_letter and action in AFTER_LETTER and resolved_by_letter(state)
    ):
        if action in NEEDS_DOMICILE and state.domicile is False:
            raise Refused.conflict(
                "domicile_refused",
                "The citizen's domicile is outside the office's area (or not yet shown); "
                "the case cannot be worked on here. Forward it to the office that serves "
                "the citizen, or record the identity so eligibility checks again.",
                details={"action": action, "domicile": "refused"},
            )
        return
    details = {"stage": state.stage, "action": action, "allowed_from": sorted(allowed)}
    if state.stage in ("resolved", "closed"):
        raise Refused.conflict(
            "already_resolved",
            f"The case was already {state.stage} ({state.outcome or 'no outcome'}).",
            details=details,
        )
    raise Refused.conflict(
        "illegal_transition",
        f"A case in stage {state.stage!r} cannot {action.replace('_', ' ')}; allowed from: "
        + ", ".join(sorted(allowed)),
        details=details,
    )


def may(state: CaseState, action: str) -> bool:
    return state.stage in ALLOWED[action]


def only_owner(state: CaseState, staff_id: str, what: str) -> None:
    """Refuse (403) unless `staff_id` is who the case is assigned to."""
    if state.assigned_to != staff_id:
        raise Refused.forbidden(
            "not_assignee",
            f"Only the staff member the case is assigned to can {what}.",
            details={"assigned_to": state.assigned_to},
        )


# ---- staff decisions -------------------------------------------------------------------


def take_up(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    allow(state, "take_up")
    return [CaseFileOpened(case_id=state.case_id, by=by, reason=cmd.reason)]


def hand_to_back_office(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    allow(state, "hand_to_back_office")
    if state.dtks is False or state.domicile is False:
        raise Refused.conflict(
            "not_eligible",
            "The citizen was not verified (DTKS or domicile); the case cannot go on.",
            details={"dtks": state.dtks, "domicile": state.domicile},
        )
    return [CaseTransferred(case_id=state.case_id, by=by, reason=cmd.reason)]


def assign(
    state: CaseState, cmd: AssignCase, *, by: str, kind: AssignmentKind = "assignment"
) -> list[Event]:
    """Give the case to a staff member: an assignment, the head's disposition (disposisi)
    or reception's hand-over of a walk-in visitor."""
    allow(state, "assign")
    if kind == "handover" and state.channel not in (None, "walk_in"):
        raise Refused.invalid(
            "handover_walk_in_only",
            "Only a walk-in visitor is handed over to the appointed official.",
            details={"channel": state.channel},
        )
    if state.assigned_to == cmd.assignee and state.assignee_role == cmd.role:
        raise Refused.conflict(
            "already_assigned", f"The case is already assigned to {cmd.assignee} ({cmd.role})."
        )
    return [
        CaseAssigned(
            case_id=state.case_id,
            assignee=cmd.assignee,
            role=cmd.role,
            assigned_by=by,
            kind=kind,
            instruction=cmd.instruction,
            reason=cmd.reason,
        )
    ]


DELEGATED_KINDS = frozenset({"disposition", "delegation"})


def dispose(
    state: CaseState, cmd: AssignCase, *, by: str, rule: DispositionRule | None
) -> list[Event]:
    """The head's disposition (disposisi): the case given to an official in a role the
    service's standard lets a disposition go to (the catalogue's `disposition.to`)."""
    allow(state, "assign")
    if rule is None:
        raise Refused.invalid(
            "no_disposition",
            "This service's standard has no disposition; assign the case instead.",
            details={"service": state.service},
        )
    if cmd.role not in rule.roles:
        raise Refused.invalid(
            "disposition_role_not_allowed",
            f"A disposition of this service may not go to the role {cmd.role.value}.",
            details={"role": cmd.role.value, "allowed_roles": [r.value for r in rule.roles]},
        )
    return assign(state, cmd, by=by, kind="disposition")


def delegate(
    state: CaseState,
    cmd: DelegateCase,
    *,
    staff_id: str,
    by: str,
    rule: DispositionRule | None,
) -> list[Event]:
    """The official the case was disposed (or delegated) to hands its work on to a lower
    role the standard allows for theirs (`disposition.to[].delegate_to`)."""
    allow(state, "assign")
    if rule is None or state.assignment_kind not in DELEGATED_KINDS:
        raise Refused.conflict(
            "not_disposed",
            "Only a case disposed to an official can be delegated.",
            details={"assignment_kind": state.assignment_kind},
        )
    only_owner(state, staff_id, "delegate it")
    if state.letter_stage is not None:
        raise Refused.conflict(
            "letter_already_drafted",
            "The written answer has already been drafted; who drafts it can no longer change.",
            details={"letter_stage": state.letter_stage},
        )
    allowed = rule.delegates(state.assignee_role or "")
    if cmd.role not in allowed:
        raise Refused.invalid(
            "delegation_role_not_allowed",
            f"An official acting as {state.assignee_role} may not delegate to the role "
            f"{cmd.role.value}.",
            details={
                "role": cmd.role.value,
                "from_role": state.assignee_role,
                "allowed_roles": [r.value for r in allowed],
            },
        )
    if cmd.assignee == staff_id:
        raise Refused.invalid("delegation_to_oneself", "Delegate to another official.")
    assert state.assignee_role is not None  # a disposed case has its owner's role
    return [
        CaseDelegated(
            case_id=state.case_id,
            by=by,
            reason=cmd.reason,
            assignee=cmd.assignee,
            role=cmd.role,
            from_role=state.assignee_role,
            instruction=cmd.instruction,
        )
    ]


def start_work(state: CaseState, cmd: Transition, *, staff_id: str, by: str) -> list[Event]:
    allow(state, "start_work")
    only_owner(state, staff_id, "start work on it")
    return [CaseWorkStarted(case_id=state.case_id, by=by, reason=cmd.reason)]


def pause(state: CaseState, cmd: PauseCase, *, by: str) -> list[Event]:
    allow(state, "pause")
    if cmd.waiting_for == "agency" and not cmd.agency:
        raise Refused.invalid("agency_required", "Say which agency the case waits for.")
    return [
        CasePaused(
            case_id=state.case_id,
            by=by,
            reason=cmd.reason,
            waiting_for=cmd.waiting_for,
            agency=cmd.agency,
        )
    ]


def resume(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    allow(state, "resume")
    return [CaseResumed(case_id=state.case_id, by=by, reason=cmd.reason)]


def answer(state: CaseState, cmd: AnswerCase, *, by: str) -> list[Event]:
    allow(state, "answer")
    return [CaseAnswered(case_id=state.case_id, by=by, reason=cmd.reason, answer=cmd.answer)]


def resolve(state: CaseState, cmd: ResolveCase, *, by: str) -> list[Event]:
    allow(state, "resolve")
    return [
        CaseResolved(case_id=state.case_id, outcome=cmd.outcome, resolved_by=by, reason=cmd.reason)
    ]


def close(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    allow(state, "close")
    return [CaseClosed(case_id=state.case_id, by=by, reason=cmd.reason)]


def reopen(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    allow(state, "reopen")
    if not cmd.reason:
        raise Refused.invalid("reason_required", "Say why the case is reopened.")
    return [CaseReopened(case_id=state.case_id, by=by, reason=cmd.reason)]


def forward(state: CaseState, cmd: ForwardCase, *, by: str) -> list[Event]:
    allow(state, "forward")
    return [
        CaseForwarded(
            case_id=state.case_id, by=by, reason=cmd.reason, forwarded_to=cmd.forwarded_to
        )
    ]


# ---- decisions casework takes by itself (policies) -------------------------------------


def merge_duplicate(
    duplicate: CaseState, survivor: CaseState, *, by: str, reason: str
) -> tuple[list[Event], list[Event]]:
    """A confirmed duplicate is merged into the open case: (duplicate's, survivor's) events.

    Nothing when already merged (a redelivered confirmation) or when the duplicate cannot
    be merged any more (then the refusal says why).
    """
    if duplicate.merged_into == survivor.case_id:
        return [], []
    allow(duplicate, "merge")
    if survivor.stage in ("forwarded", "merged"):
        raise Refused.conflict(
            "survivor_not_open",
            f"The case to merge into is {survivor.stage}.",
            details={"survivor_stage": survivor.stage},
        )
    return (
        [CaseMerged(case_id=duplicate.case_id, by=by, reason=reason, merged_into=survivor.case_id)],
        [
            DuplicateMerged(
                case_id=survivor.case_id, by=by, reason=reason, duplicate_case_id=duplicate.case_id
            )
        ],
    )


def resume_on_reply(state: CaseState) -> list[Event]:
    """Policy: the citizen wrote again; a case waiting for the citizen runs again."""
    if state.stage != "waiting_for_citizen":
        return []
    return [CaseResumed(case_id=state.case_id, by=SYSTEM_ACTOR, reason="Warga memberikan balasan.")]


def close_when_letter_issued(
    state: CaseState, *, goes_on_after_letter: bool, channel: str
) -> list[CaseClosed]:
    """Policy: the citizen has the signed letter (handed over at the desk, or sent), the
    standard's last step ("pemohon menerima surat"), so a case its letter resolved is
    closed, once. Not where the standard goes on after its letter (Pariaman: the referral
    to a programme stays open until staff close the case), nor a case resolved otherwise,
    reopened since, or already closed."""
    if goes_on_after_letter or not resolved_by_letter(state):
        return []
    how = "diserahkan kepada pemohon" if channel == "walk_in" else "dikirimkan kepada pemohon"
    return [CaseClosed(case_id=state.case_id, by=SYSTEM_ACTOR, reason=f"Surat telah {how}.")]


def resolve_when_letter_signed(state: CaseState) -> list[CaseResolved]:
    """Policy: a signed letter is the service's product delivered. Never resolves a case
    twice. Where the standard goes on after the letter (Pariaman: the referral to an
    assistance programme), that work stays open on the resolved case (`AFTER_LETTER`)."""
    if state.stage in ("resolved", "closed", "forwarded", "merged"):
        return []
    return [
        CaseResolved(
            case_id=state.case_id,
            outcome=LETTER_ISSUED,
            resolved_by=SYSTEM_ACTOR,
            reason="Surat telah ditandatangani.",
        )
    ]
