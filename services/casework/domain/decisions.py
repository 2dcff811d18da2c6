"""Casework's decisions: given the case stream's state, the events a command produces.

They take the state folded from the case's facts and return the new events, or raise
`CaseworkRefused` with a machine-readable reason. No I/O here.

Every lifecycle transition goes through `_allow`, which checks the one transition table
(`ALLOWED`, action -> the stages it may start from): an illegal transition is refused
with `illegal_transition` (or `already_resolved` on a resolved or closed case) and the
stage, the action and the stages it is allowed from in `details`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from services.casework.domain.commands import (
    AnswerCase,
    AnswerReferral,
    AssignCase,
    CloseReferral,
    ForwardCase,
    MakeReferral,
    PauseCase,
    RecordAssessment,
    RecordConsultation,
    RecordCounselling,
    ResolveCase,
    Transition,
)
from services.casework.domain.deadlines import Deadline, OfficeCalendar, office_seconds_between
from services.casework.domain.model import PAUSED_STAGES, STOPPED_STAGES, CaseState
from services.casework.domain.social_work import OPTIONAL_STEPS, StepView
from shared.contracts.base import Event
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseClosed,
    CaseConsulted,
    CaseEscalated,
    CaseFileOpened,
    CaseForwarded,
    CaseMerged,
    CasePaused,
    CaseReopened,
    CaseResumed,
    CaseTransferred,
    CaseWorkStarted,
    ClientIdentityRecorded,
    CounsellingSessionRecorded,
    DeadlineBreached,
    DeadlineWarned,
    DuplicateMerged,
    ReferralAccepted,
    ReferralClosed,
    ReferralFollowUpRequested,
    ReferralRefused,
)
from shared.contracts.events import (
    AssessmentRecorded,
    CaseAssigned,
    CaseResolved,
    ReferralMade,
)
from shared.contracts.vocab import Role

SYSTEM_ACTOR = "system:casework"

RefusalKind = Literal["conflict", "forbidden", "invalid"]


class CaseworkRefused(Exception):
    """A command the case's state does not allow. `kind` says which HTTP answer fits:
    conflict 409, forbidden 403, invalid 422."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: RefusalKind = "conflict",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.details = dict(details or {})


# ---- the transition table --------------------------------------------------------------

OPEN_WORK = frozenset({"registered", "front_office", "back_office", "assigned", "in_progress"})
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


def _allow(state: CaseState, action: str) -> None:
    allowed = ALLOWED[action]
    if state.stage in allowed:
        return
    details = {"stage": state.stage, "action": action, "allowed_from": sorted(allowed)}
    if state.stage in ("resolved", "closed"):
        raise CaseworkRefused(
            "already_resolved",
            f"The case was already {state.stage} ({state.outcome or 'no outcome'}).",
            details=details,
        )
    raise CaseworkRefused(
        "illegal_transition",
        f"A case in stage {state.stage!r} cannot {action.replace('_', ' ')}; allowed from: "
        + ", ".join(sorted(allowed)),
        details=details,
    )


def may(state: CaseState, action: str) -> bool:
    return state.stage in ALLOWED[action]


# ---- lifecycle -------------------------------------------------------------------------


def take_up(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    _allow(state, "take_up")
    return [CaseFileOpened(case_id=state.case_id, by=by, reason=cmd.reason)]


def hand_to_back_office(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    _allow(state, "hand_to_back_office")
    if state.dtks is False or state.domicile is False:
        raise CaseworkRefused(
            "not_eligible",
            "The citizen was not verified (DTKS or domicile); the case cannot go on.",
            details={"dtks": state.dtks, "domicile": state.domicile},
        )
    return [CaseTransferred(case_id=state.case_id, by=by, reason=cmd.reason)]


def assign(
    state: CaseState,
    cmd: AssignCase,
    *,
    by: str,
    kind: Literal["assignment", "disposition", "handover"] = "assignment",
) -> list[Event]:
    _allow(state, "assign")
    if kind == "handover" and state.channel not in (None, "walk_in"):
        raise CaseworkRefused(
            "handover_walk_in_only",
            "Only a walk-in visitor is handed over to the appointed official.",
            kind="invalid",
            details={"channel": state.channel},
        )
    if state.assigned_to == cmd.assignee and state.assignee_role == cmd.role:
        raise CaseworkRefused(
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


def _only_owner(state: CaseState, staff_id: str, what: str) -> None:
    if state.assigned_to != staff_id:
        raise CaseworkRefused(
            "not_assignee",
            f"Only the staff member the case is assigned to can {what}.",
            kind="forbidden",
            details={"assigned_to": state.assigned_to},
        )


def start_work(state: CaseState, cmd: Transition, *, staff_id: str, by: str) -> list[Event]:
    _allow(state, "start_work")
    _only_owner(state, staff_id, "start work on it")
    return [CaseWorkStarted(case_id=state.case_id, by=by, reason=cmd.reason)]


def pause(state: CaseState, cmd: PauseCase, *, by: str) -> list[Event]:
    _allow(state, "pause")
    if cmd.waiting_for == "agency" and not cmd.agency:
        raise CaseworkRefused(
            "agency_required", "Say which agency the case waits for.", kind="invalid"
        )
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
    _allow(state, "resume")
    return [CaseResumed(case_id=state.case_id, by=by, reason=cmd.reason)]


def answer(state: CaseState, cmd: AnswerCase, *, by: str) -> list[Event]:
    _allow(state, "answer")
    return [CaseAnswered(case_id=state.case_id, by=by, reason=cmd.reason, answer=cmd.answer)]


def resolve(state: CaseState, cmd: ResolveCase, *, by: str) -> list[Event]:
    _allow(state, "resolve")
    return [
        CaseResolved(case_id=state.case_id, outcome=cmd.outcome, resolved_by=by, reason=cmd.reason)
    ]


def close(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    _allow(state, "close")
    return [CaseClosed(case_id=state.case_id, by=by, reason=cmd.reason)]


def reopen(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    _allow(state, "reopen")
    if not cmd.reason:
        raise CaseworkRefused("reason_required", "Say why the case is reopened.", kind="invalid")
    return [CaseReopened(case_id=state.case_id, by=by, reason=cmd.reason)]


def forward(state: CaseState, cmd: ForwardCase, *, by: str) -> list[Event]:
    _allow(state, "forward")
    return [
        CaseForwarded(
            case_id=state.case_id, by=by, reason=cmd.reason, forwarded_to=cmd.forwarded_to
        )
    ]


def merge_duplicate(
    duplicate: CaseState, survivor: CaseState, *, by: str, reason: str
) -> tuple[list[Event], list[Event]]:
    """A confirmed duplicate is merged into the open case: (duplicate's, survivor's) events.

    Nothing when already merged (a redelivered confirmation) or when the duplicate cannot
    be merged any more (then the refusal says why).
    """
    if duplicate.merged_into == survivor.case_id:
        return [], []
    _allow(duplicate, "merge")
    if survivor.stage in ("forwarded", "merged"):
        raise CaseworkRefused(
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


def resolve_when_letter_signed(state: CaseState) -> list[CaseResolved]:
    """Policy: a signed letter is the service delivered. Never resolves a case twice."""
    if state.stage in ("resolved", "closed", "forwarded", "merged"):
        return []
    return [
        CaseResolved(
            case_id=state.case_id,
            outcome="letter_issued",
            resolved_by=SYSTEM_ACTOR,
            reason="Surat telah ditandatangani.",
        )
    ]


# ---- social work (LK3) -----------------------------------------------------------------


def record_identity(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    _allow(state, "record_identity")
    if state.identity_recorded_at is not None:
        raise CaseworkRefused("identity_already_recorded", "The client's identity is recorded.")
    return [ClientIdentityRecorded(case_id=state.case_id, by=by, reason=cmd.reason)]


def record_assessment(
    state: CaseState, cmd: RecordAssessment, *, staff_id: str, by: str
) -> list[Event]:
    _allow(state, "record_assessment")
    if state.assigned_to != staff_id:
        raise CaseworkRefused(
            "not_assignee",
            "Only the social worker the case is assigned to can record its assessment.",
            kind="forbidden",
        )
    return [AssessmentRecorded(case_id=state.case_id, recorded_by=by, summary=cmd.summary)]


def record_consultation(
    state: CaseState, cmd: RecordConsultation, *, staff_id: str, by: str
) -> list[Event]:
    _allow(state, "record_consultation")
    _only_owner(state, staff_id, "hold the case consultation")
    if not state.assessed:
        raise CaseworkRefused(
            "assessment_missing", "Outreach and the initial assessment come first."
        )
    return [
        CaseConsulted(
            case_id=state.case_id, by=by, reason=cmd.reason, psychologist=cmd.psychologist
        )
    ]


def record_counselling(
    state: CaseState, cmd: RecordCounselling, *, staff_id: str, by: str, max_sessions: int = 4
) -> list[Event]:
    _allow(state, "record_counselling")
    if state.psychologist is None:
        raise CaseworkRefused(
            "consultation_missing", "The case consultation names the psychologist first."
        )
    if state.psychologist != staff_id:
        raise CaseworkRefused(
            "not_case_psychologist",
            "Only the psychologist named at the case consultation counsels this client.",
            kind="forbidden",
        )
    if len(state.sessions) >= max_sessions:
        raise CaseworkRefused(
            "sessions_exhausted",
            f"The standard plans at most {max_sessions} counselling sessions.",
            details={"sessions": len(state.sessions), "max": max_sessions},
        )
    return [
        CounsellingSessionRecorded(
            case_id=state.case_id, by=by, session=len(state.sessions) + 1, notes=cmd.notes
        )
    ]


# ---- referrals -------------------------------------------------------------------------


def refer(
    state: CaseState,
    cmd: MakeReferral,
    *,
    referral_id: UUID,
    by: str,
    known_agencies: frozenset[str] | None = None,
) -> list[Event]:
    _allow(state, "refer")
    if known_agencies is not None and cmd.agency not in known_agencies:
        raise CaseworkRefused(
            "unknown_agency",
            f"{cmd.agency!r} is not an agency or programme this service refers to.",
            kind="invalid",
            details={"known": sorted(known_agencies)},
        )
    return [
        ReferralMade(
            case_id=state.case_id,
            referral_id=referral_id,
            agency=cmd.agency,
            reason=cmd.reason,
            referred_by=by,
            programme=cmd.programme,
        )
    ]


def _open_referral(state: CaseState, referral_id: UUID, action: str) -> None:
    _allow(state, action)
    referral = state.referral(str(referral_id))
    if referral is None:
        raise CaseworkRefused(
            "referral_not_found", f"No referral {referral_id} on this case.", kind="invalid"
        )
    if not referral.open:
        raise CaseworkRefused(
            "referral_not_open",
            f"The referral is {referral.status}.",
            details={"referral_status": referral.status},
        )
    if action == "answer_referral" and referral.status != "made":
        raise CaseworkRefused(
            "referral_already_answered",
            f"The receiver already answered ({referral.status}).",
            details={"referral_status": referral.status},
        )


def answer_referral(
    state: CaseState, referral_id: UUID, cmd: AnswerReferral, *, by: str
) -> list[Event]:
    _open_referral(state, referral_id, "answer_referral")
    if cmd.accepted:
        return [
            ReferralAccepted(
                case_id=state.case_id, by=by, reason=cmd.reason, referral_id=referral_id
            )
        ]
    if not cmd.reason:
        raise CaseworkRefused("reason_required", "A refusal needs its reason.", kind="invalid")
    return [
        ReferralRefused(case_id=state.case_id, by=by, reason=cmd.reason, referral_id=referral_id)
    ]


def close_referral(
    state: CaseState, referral_id: UUID, cmd: CloseReferral, *, by: str
) -> list[Event]:
    _open_referral(state, referral_id, "close_referral")
    return [
        ReferralClosed(
            case_id=state.case_id,
            by=by,
            reason=cmd.reason,
            referral_id=referral_id,
            outcome=cmd.outcome,
        )
    ]


# ---- escalation ------------------------------------------------------------------------

# Who is the next level up (the approval hierarchy of a Dinas Sosial).
_LADDER: tuple[Role, ...] = (
    Role.SUB_COORDINATOR,
    Role.HEAD_OF_DIVISION,
    Role.SECRETARY,
    Role.HEAD_OF_OFFICE,
)


def next_level_up(role: str | None) -> Role:
    """The role one level above `role`; staff below the ladder go to the sub-coordinator."""
    try:
        index = _LADDER.index(Role(role)) if role else -1
    except ValueError:
        index = -1
    return _LADDER[min(index + 1, len(_LADDER) - 1)]


# ---- the deadline watcher and referral reminders ---------------------------------------


def deadline_events(state: CaseState, now: datetime, due: Deadline | None) -> list[Event]:
    """Warning, breach and escalation of the running clock, each once per clock.

    Nothing while the clock is stopped or paused, or for a service without a deadline.
    """
    clock = state.clock
    if due is None or clock is None or due.due_at is None:
        return []
    if clock.stopped_at is not None:
        # Answered after the deadline, before a sweep saw it run out: the breach is still
        # a fact (no escalation: there is nothing left to escalate).
        if not clock.breached and clock.stopped_at > due.due_at:
            return [
                DeadlineBreached(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Diselesaikan setelah batas waktu layanan.",
                    due_at=due.due_at,
                    clock=clock.number,
                )
            ]
        return []
    if state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
        return []
    events: list[Event] = []
    if not clock.warned and due.warn_at is not None and now >= due.warn_at:
        events.append(
            DeadlineWarned(
                case_id=state.case_id,
                by=SYSTEM_ACTOR,
                reason="Batas waktu layanan hampir habis.",
                due_at=due.due_at,
                clock=clock.number,
            )
        )
    if now >= due.due_at:
        if not clock.breached:
            events.append(
                DeadlineBreached(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Batas waktu layanan terlampaui.",
                    due_at=due.due_at,
                    clock=clock.number,
                )
            )
        if not clock.escalated_to:
            from_role = Role(state.assignee_role) if state.assignee_role else None
            events.append(
                CaseEscalated(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Batas waktu terlampaui; diteruskan ke atasan.",
                    to_role=next_level_up(state.assignee_role),
                    from_role=from_role,
                    clock=clock.number,
                )
            )
    return events


REMINDER_EVERY_WORKING_DAYS = 3


def referral_reminders(state: CaseState, now: datetime, calendar: OfficeCalendar) -> list[Event]:
    """A follow-up reminder for each open referral every few working days until closed.

    Reminder n is due once n x 3 working days have passed since the referral; one event
    per sweep carries the latest number due, so two sweeps at the same moment give one."""
    every = REMINDER_EVERY_WORKING_DAYS * calendar.day_seconds
    events: list[Event] = []
    for referral in state.open_referrals:
        due = int(office_seconds_between(referral.made_at, now, calendar) // every)
        if due > referral.reminders:
            events.append(
                ReferralFollowUpRequested(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason=f"Rujukan ke {referral.agency} belum selesai; mohon ditindaklanjuti.",
                    referral_id=UUID(referral.referral_id),
                    reminder=due,  # missed sweeps are not made up one by one
                )
            )
    return events


def step_breaches(state: CaseState, now: datetime, steps: Sequence[StepView]) -> list[Event]:
    """A breach for each procedure step whose budget ran out before it was done, once."""
    if state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
        return []
    return [
        DeadlineBreached(
            case_id=state.case_id,
            by=SYSTEM_ACTOR,
            reason=f"Langkah {step.order} ({step.description}) melewati batas {step.budget}.",
            due_at=step.due_at,
            clock=state.clock.number if state.clock else 1,
            step=step.key,
        )
        for step in steps
        if step.due_at is not None
        and step.key not in OPTIONAL_STEPS
        and step.done_at is None
        and now >= step.due_at
        and step.key not in state.steps_breached
    ]
