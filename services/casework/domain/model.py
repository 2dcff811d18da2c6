"""The case as a fold over its facts: the lifecycle stage, and the status staff see.

A *fact* is one recorded event of a case, as the timeline keeps it (redacted data, see
`timeline.py`). `fold` sorts the facts by global position and applies them one by one, so
the same set of facts always gives the same state, whatever order they arrived in
(events of one case come over five topics and may be applied out of order).

The lifecycle (`Stage`, the one state machine of every seed, published with the case view
in `shared/contracts/case_stages.py`; transitions in `lifecycle.py`):

    registered -> front_office -> back_office -> assigned -> in_progress
        -> answered | resolved -> closed        (reopen: back to in_progress)
    waiting_for_citizen / waiting_for_agency    (pauses; the deadline clock stops)
    forwarded (not our authority), merged (a confirmed duplicate)   (terminal)

Documents and eligibility come from other services while the case is at the front office;
they do not move the stage. A letter draft means work has started (in_progress).

Status vocabulary (`CaseStatus`), a finer label derived from the stage and the facts,
first match wins:

    merged, forwarded, closed, resolved, answered,
    waiting_for_citizen, waiting_for_agency        the stage itself
    letter_signed ... letter_drafted               the latest letter event
    referred            an open ReferralMade
    in_progress         stage in_progress (work started, assessment, ...)
    assigned            stage assigned
    back_office         stage back_office
    not_eligible        DtksNotFound or DomicileRefused, not since verified
    documents_complete  RequirementsCompleted
    eligible            DtksVerified or DomicileVerified
    front_office        stage front_office
    registered          ComplaintRegistered
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, Optional, TypeVar, get_args
from uuid import UUID

from pydantic import create_model

from shared.contracts.base import EVENT_TYPES, Event
from shared.contracts.case_stages import PAUSED_STAGES as PAUSED_STAGES
from shared.contracts.case_stages import STAGES as STAGES
from shared.contracts.case_stages import STOPPED_STAGES as STOPPED_STAGES
from shared.contracts.case_stages import TERMINAL_STAGES
from shared.contracts.case_stages import Stage as Stage
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseClosed,
    CaseConsulted,
    CaseDelegated,
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
    SurveyAnswered,
)
from shared.contracts.documents_events import LetterIssued
from shared.contracts.events import (
    AssessmentRecorded,
    CaseAssigned,
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DomicileVerified,
    DtksNotFound,
    DtksVerified,
    LetterApproved,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
    ReferralMade,
    RequirementsCompleted,
)
from shared.contracts.intake_events import (
    DuplicateDismissed,
    DuplicateSuspected,
    IdCardDeposited,
    IdCardReturned,
    ReplyReceived,
)
from shared.contracts.vocab import Role

_F = TypeVar("_F")

CaseStatus = Literal[
    "registered",
    "front_office",
    "eligible",
    "not_eligible",
    "documents_complete",
    "back_office",
    "assigned",
    "in_progress",
    "referred",
    "letter_drafted",
    "letter_in_approval",
    "letter_returned",
    "letter_approved",
    "letter_signed",
    "waiting_for_citizen",
    "waiting_for_agency",
    "answered",
    "resolved",
    "closed",
    "forwarded",
    "merged",
]
STATUSES: tuple[str, ...] = get_args(CaseStatus)
# What the citizen is told (`CaseState.public_status`): the status, or where the letter of
# a case it resolved is.
PublicCaseStatus = Literal[CaseStatus, "letter_issued"]
PUBLIC_STATUSES: tuple[str, ...] = get_args(PublicCaseStatus)

LetterStage = Literal["drafted", "in_approval", "returned", "approved", "signed"]
ReferralStatus = Literal["made", "accepted", "refused", "closed"]


@dataclass(frozen=True)
class CaseFact:
    """One event of a case, as the fold needs it (data already redacted)."""

    position: int
    event_type: str
    data: Mapping[str, Any]
    recorded_at: datetime
    occurred_at: datetime
    actor: str = "system"

    @cached_property
    def event(self) -> Event | None:
        """The fact as its event class (None: a type this build does not know)."""
        return decode_fact(self.event_type, self.data)


def made(cls: type[_F], /, **values: Any) -> _F:
    """An instance of a frozen dataclass from all its field values, without its generated
    `__init__` (which sets each field through `object.__setattr__`: ten times slower, and
    a rebuild makes several such objects per event). The caller gives every field."""
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


def decoded_fact(
    position: int,
    event_type: str,
    data: Mapping[str, Any],
    recorded_at: datetime,
    occurred_at: datetime,
    actor: str,
    event: Event,
) -> CaseFact:
    """A fact with its event already decoded (`fact_with_event`), made at once."""
    return made(
        CaseFact,
        position=position,
        event_type=event_type,
        data=data,
        recorded_at=recorded_at,
        occurred_at=occurred_at,
        actor=actor,
        event=event,  # what `cached_property` would have stored
    )


def fact_with_event(fact: CaseFact, event: Event) -> CaseFact:
    """`fact` with its event already decoded (the rebuild decoded the whole payload once):
    the fold reads no field the timeline leaves out, so the full event folds the same."""
    fact.__dict__["event"] = event  # what `cached_property` would have stored
    return fact


# (event class, the required fields the timeline left out) -> the class with them optional.
_REDACTED_CLASSES: dict[tuple[type[Event], frozenset[str]], type[Event]] = {}


def _redacted_class(cls: type[Event], missing: frozenset[str]) -> type[Event]:
    """`cls` with the fields in `missing` optional (None): a subclass, so `match` on `cls`
    still matches it. The timeline keeps no personal data and no counselling notes
    (`timeline.redact`), so a fact's data may lack fields its schema requires; the fold
    never reads those."""
    key = (cls, missing)
    redacted = _REDACTED_CLASSES.get(key)
    if redacted is None:
        fields: dict[str, Any] = {
            name: (Optional[cls.model_fields[name].annotation], None)  # noqa: UP045
            for name in sorted(missing)
        }
        redacted = create_model(cls.__name__, __base__=cls, **fields)
        _REDACTED_CLASSES[key] = redacted
    return redacted


def decode_fact(event_type: str, data: Mapping[str, Any]) -> Event | None:
    """A fact's (current-schema, redacted) data as its event class; None if unknown."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        return None
    missing = frozenset(
        name for name, field in cls.model_fields.items() if field.is_required() and name not in data
    )
    return (_redacted_class(cls, missing) if missing else cls).model_validate(data)


@dataclass(frozen=True)
class Pause:
    """A stretch during which the deadline clock stood still (`until` None: still waiting)."""

    since: datetime
    until: datetime | None
    waiting_for: str


@dataclass(frozen=True)
class Referral:
    referral_id: str
    agency: str
    made_at: datetime
    status: ReferralStatus = "made"
    programme: str | None = None
    answered_at: datetime | None = None  # accepted or refused
    reminders: int = 0

    @property
    def open(self) -> bool:
        return self.status in ("made", "accepted")


@dataclass(frozen=True)
class Clock:
    """One deadline clock of a case: opened at registration, a new one at each reopening."""

    number: int
    started_at: datetime
    pauses: tuple[Pause, ...] = ()
    stopped_at: datetime | None = None  # answered, resolved, forwarded or merged
    warned: bool = False
    breached: bool = False
    escalated_to: tuple[str, ...] = ()  # roles, in order

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].until is None


@dataclass(frozen=True)
class CaseState:
    case_id: UUID
    registered: bool = False
    office: str | None = None
    service: str | None = None
    variant: str | None = None
    channel: str | None = None
    ticket_number: str | None = None
    opened_at: datetime | None = None
    confidential: bool = False
    stage: Stage = "registered"
    stage_before_pause: Stage | None = None
    stage_changed_at: datetime | None = None
    dtks: bool | None = None  # None: not checked yet
    domicile: bool | None = None
    documents_complete: bool = False
    letter_stage: LetterStage | None = None
    letter_number: str | None = None
    letter_issued: bool = False  # LetterIssued: handed over at the desk, or sent
    assigned_to: str | None = None
    assignee_role: str | None = None
    assigned_at: datetime | None = None
    assignment_kind: str | None = None  # assignment | disposition | handover | delegation
    care_team: tuple[str, ...] = ()  # everyone the case was ever assigned to
    handled_by: tuple[str, ...] = ()  # every staff actor who acted on the case
    assessed: bool = False
    # Social work (LK3): when each step was done.
    identity_recorded_at: datetime | None = None
    social_worker_at: datetime | None = None  # first handed to a social worker
    assessed_at: datetime | None = None
    consultation_at: datetime | None = None
    psychologist: str | None = None
    sessions: tuple[datetime, ...] = ()
    steps_breached: tuple[str, ...] = ()  # procedure steps whose budget ran out
    referrals: tuple[str, ...] = ()  # agencies, in order
    referral_log: tuple[Referral, ...] = ()
    answered_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    closed_at: datetime | None = None
    forwarded_to: str | None = None
    merged_into: UUID | None = None
    merged_duplicates: tuple[UUID, ...] = ()
    duplicate_suspected_of: UUID | None = None
    id_card_held: bool = False
    replies: int = 0
    surveyed: bool = False
    clock: Clock | None = None
    last_position: int = 0

    @property
    def resolved(self) -> bool:
        return self.stage in ("resolved", "closed")

    @property
    def open_referrals(self) -> tuple[Referral, ...]:
        return tuple(r for r in self.referral_log if r.open)

    @property
    def public_status(self) -> PublicCaseStatus | None:
        """What the citizen is told: the status, except for a case its signed letter
        resolved, where the letter is what they came for. Until it was handed over or
        sent they hear it is signed (to collect, or on its way), not just "done"; staff
        still see and filter the case as resolved."""
        if self.stage in ("resolved", "closed") and self.letter_stage == "signed":
            if self.letter_issued:
                return "letter_issued"
            if self.stage == "resolved":
                return "letter_signed"
        return self.status

    def referral(self, referral_id: str) -> Referral | None:
        return next((r for r in self.referral_log if r.referral_id == referral_id), None)

    @property
    def status(self) -> CaseStatus | None:
        """Where the case stands (see the module docstring); None before registration."""
        if not self.registered:
            return None
        stage = self.stage
        if stage in STOPPED_STAGES or stage in PAUSED_STAGES:
            return stage
        if self.letter_stage is not None:
            return _LETTER_STATUS[self.letter_stage]
        if self.open_referrals:
            return "referred"
        if stage in ("in_progress", "assigned", "back_office"):
            return stage
        if self.dtks is False or self.domicile is False:
            return "not_eligible"
        if self.documents_complete:
            return "documents_complete"
        if self.dtks or self.domicile:
            return "eligible"
        return stage


_T = TypeVar("_T", CaseState, Clock, Pause, Referral)
_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls)) for cls in (CaseState, Clock, Pause, Referral)
}


def replace(obj: _T, /, **changes: Any) -> _T:
    """`dataclasses.replace` for the fold's own frozen dataclasses, without running
    `__init__` over every field again (the fold's hot path: `CaseState` has ~50 fields
    and a rebuild replaces it a few times per event). Unknown field names are refused."""
    cls = type(obj)
    if not changes.keys() <= _FIELDS[cls]:
        raise TypeError(f"{cls.__name__} has no field {sorted(changes.keys() - _FIELDS[cls])}")
    new = object.__new__(cls)
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


_LETTER_STATUS: dict[LetterStage, CaseStatus] = {
    "drafted": "letter_drafted",
    "in_approval": "letter_in_approval",
    "returned": "letter_returned",
    "approved": "letter_approved",
    "signed": "letter_signed",
}


# Stages from which work on a case counts as started when a letter is drafted.
_BEFORE_WORK: frozenset[str] = frozenset({"registered", "front_office", "back_office", "assigned"})


def _move(state: CaseState, stage: Stage, at: datetime) -> CaseState:
    return replace(state, stage=stage, stage_changed_at=at)


# A pause of the clock that is no waiting: the LK3 standard's 7 working days are its
# steps "di luar konseling 3 atau 4 kali pertemuan". The clock stands from the case
# consultation, which hands the client to the psychologist, until the case moves on (a
# referral, or it ends), however many weeks the sessions take.
COUNSELLING = "counselling"


def _hold_for_counselling(state: CaseState, at: datetime) -> CaseState:
    clock = state.clock
    if clock is None or clock.stopped_at is not None or clock.paused:
        return state
    pause = Pause(since=at, until=None, waiting_for=COUNSELLING)
    return replace(state, clock=replace(clock, pauses=(*clock.pauses, pause)))


def _counselling_over(state: CaseState, at: datetime) -> CaseState:
    clock = state.clock
    if clock is None or not clock.paused or clock.pauses[-1].waiting_for != COUNSELLING:
        return state
    last = replace(clock.pauses[-1], until=at)
    return replace(state, clock=replace(clock, pauses=(*clock.pauses[:-1], last)))


def _stop_clock(state: CaseState, at: datetime) -> CaseState:
    clock = state.clock
    if clock is None or clock.stopped_at is not None:
        return state
    if clock.paused:
        last = clock.pauses[-1]
        clock = replace(clock, pauses=(*clock.pauses[:-1], replace(last, until=at)))
    return replace(state, clock=replace(clock, stopped_at=at))


def _update_referral(state: CaseState, referral_id: UUID, **changes: Any) -> CaseState:
    rid = str(referral_id)
    return replace(
        state,
        referral_log=tuple(
            replace(r, **changes) if r.referral_id == rid else r for r in state.referral_log
        ),
    )


def _letter(state: CaseState, stage: LetterStage) -> CaseState:
    if state.letter_stage == "signed":
        return state  # a signed letter stays signed
    return replace(state, letter_stage=stage)


def _join_team(state: CaseState, staff_id: str) -> tuple[str, ...]:
    return state.care_team if staff_id in state.care_team else (*state.care_team, staff_id)


def _on_clock(state: CaseState, number: int, **changes: Any) -> CaseState:
    """A deadline fact of clock `number` (a fact of an earlier clock changes nothing)."""
    clock = state.clock
    if clock is None or clock.number != number:
        return state
    return replace(state, clock=replace(clock, **changes))


# The event classes (None: an unknown type) that no case of `apply` matches, as met.
_UNFOLDED: set[type[Event] | type[None]] = set()


def apply(state: CaseState, fact: CaseFact) -> CaseState:
    """The state after one more fact. Event types the fold does not know change nothing."""
    at = fact.occurred_at
    if fact.actor.startswith("staff:") and fact.actor not in state.handled_by:
        state = replace(
            state,
            last_position=max(state.last_position, fact.position),
            handled_by=(*state.handled_by, fact.actor),
        )
    else:
        state = replace(state, last_position=max(state.last_position, fact.position))
    event = fact.event
    if type(event) in _UNFOLDED:
        return state
    # Each case below matches on the event's class; a guarded one needs a plain case of
    # its class after it (as DeadlineBreached has), or `_UNFOLDED` would learn it wrongly.
    match event:
        case ComplaintRegistered() as e:
            return replace(
                state,
                registered=True,
                office=e.office,
                service=e.service,
                variant=e.variant,
                channel=e.channel.value,
                ticket_number=e.ticket_number,
                opened_at=e.received_at,
                confidential=e.confidential,
                stage_changed_at=state.stage_changed_at or e.received_at,
                clock=state.clock or Clock(number=1, started_at=e.received_at),
            )
        case DtksVerified():
            return replace(state, dtks=True)
        case DtksNotFound():
            return replace(state, dtks=False)
        case DomicileVerified():
            return replace(state, domicile=True)
        case DomicileRefused():
            return replace(state, domicile=False)
        case RequirementsCompleted():
            return replace(state, documents_complete=True)
        case LetterDrafted():
            if state.letter_stage == "signed":
                return state
            state = _letter(state, "drafted")
            return _move(state, "in_progress", at) if state.stage in _BEFORE_WORK else state
        case LetterReviewed():
            return _letter(state, "in_approval")
        case LetterReturned():
            return _letter(state, "returned")
        case LetterApproved():
            return _letter(state, "approved")
        case LetterSigned() as e:
            return replace(state, letter_stage="signed", letter_number=e.letter_number)
        case LetterIssued():
            return replace(state, letter_issued=True)
        case CaseFileOpened():
            return _move(state, "front_office", at)
        case CaseTransferred():
            return _move(state, "back_office", at)
        case CaseAssigned() as e:
            state = replace(
                state,
                assigned_to=e.assignee,
                assignee_role=e.role.value,
                assigned_at=at,
                assignment_kind=e.kind,
                care_team=_join_team(state, e.assignee),
            )
            if e.role == Role.SOCIAL_WORKER and state.social_worker_at is None:
                state = replace(state, social_worker_at=at)
            if state.stage in ("registered", "front_office", "back_office"):
                state = _move(state, "assigned", at)
            return state
        case CaseDelegated() as e:
            state = replace(
                state,
                assigned_to=e.assignee,
                assignee_role=e.role.value,
                assigned_at=at,
                assignment_kind="delegation",
                care_team=_join_team(state, e.assignee),
            )
            if state.stage in ("registered", "front_office", "back_office"):
                state = _move(state, "assigned", at)
            return state
        case CaseWorkStarted():
            return _move(state, "in_progress", at)
        case AssessmentRecorded():
            state = replace(state, assessed=True, assessed_at=state.assessed_at or at)
            return _move(state, "in_progress", at) if state.stage in _BEFORE_WORK else state
        case CasePaused() as e:
            stage: Stage = (
                "waiting_for_citizen" if e.waiting_for == "citizen" else "waiting_for_agency"
            )
            before = state.stage
            state = replace(_move(state, stage, at), stage_before_pause=before)
            if state.clock is not None and not state.clock.paused:
                pause = Pause(since=at, until=None, waiting_for=e.waiting_for)
                state = replace(
                    state, clock=replace(state.clock, pauses=(*state.clock.pauses, pause))
                )
            return state
        case CaseResumed():
            back = state.stage_before_pause or "in_progress"
            state = replace(_move(state, back, at), stage_before_pause=None)
            clock = state.clock
            # Back from waiting; a counselling that was going on goes on (its pause stays).
            if clock is not None and clock.paused and clock.pauses[-1].waiting_for != COUNSELLING:
                last = replace(clock.pauses[-1], until=at)
                state = replace(state, clock=replace(clock, pauses=(*clock.pauses[:-1], last)))
            return state
        case CaseAnswered():
            return _stop_clock(replace(_move(state, "answered", at), answered_at=at), at)
        case CaseResolved() as e:
            if state.stage in ("resolved", "closed") or state.stage in TERMINAL_STAGES:
                return state  # the first resolution stands (until a reopening)
            state = replace(_move(state, "resolved", at), outcome=e.outcome, resolved_at=at)
            return _stop_clock(state, at)
        case CaseClosed():
            return _stop_clock(replace(_move(state, "closed", at), closed_at=at), at)
        case CaseReopened():
            number = state.clock.number + 1 if state.clock else 1
            return replace(
                _move(state, "in_progress", at),
                outcome=None,
                resolved_at=None,
                answered_at=None,
                closed_at=None,
                clock=Clock(number=number, started_at=at),
            )
        case CaseForwarded() as e:
            state = replace(_move(state, "forwarded", at), forwarded_to=e.forwarded_to)
            return _stop_clock(state, at)
        case CaseMerged() as e:
            state = replace(_move(state, "merged", at), merged_into=e.merged_into)
            return _stop_clock(state, at)
        case DuplicateMerged() as e:
            if e.duplicate_case_id in state.merged_duplicates:
                return state
            return replace(state, merged_duplicates=(*state.merged_duplicates, e.duplicate_case_id))
        case DuplicateSuspected() as e:
            return replace(state, duplicate_suspected_of=e.duplicate_of)
        case DuplicateDismissed():
            return replace(state, duplicate_suspected_of=None)
        case ReplyReceived():
            return replace(state, replies=state.replies + 1)
        case IdCardDeposited():
            return replace(state, id_card_held=True)
        case IdCardReturned():
            return replace(state, id_card_held=False)
        case DeadlineBreached(step=str() as step) if step:
            if step in state.steps_breached:
                return state
            return replace(state, steps_breached=(*state.steps_breached, step))
        case DeadlineWarned() as e:
            return _on_clock(state, e.clock, warned=True)
        case DeadlineBreached() as e:
            return _on_clock(state, e.clock, breached=True)
        case CaseEscalated() as e:
            clock = state.clock
            if clock is None or clock.number != e.clock:
                return state
            return _on_clock(state, e.clock, escalated_to=(*clock.escalated_to, e.to_role.value))
        case ClientIdentityRecorded():
            state = replace(state, identity_recorded_at=state.identity_recorded_at or at)
            return _move(state, "front_office", at) if state.stage == "registered" else state
        case CaseConsulted() as e:
            state = replace(
                state,
                consultation_at=state.consultation_at or at,
                psychologist=e.psychologist,
                care_team=_join_team(state, e.psychologist),
            )
            return _hold_for_counselling(state, at)
        case CounsellingSessionRecorded():
            return replace(state, sessions=(*state.sessions, at))
        case ReferralMade() as e:
            state = _counselling_over(state, at)
            referral = Referral(
                referral_id=str(e.referral_id), agency=e.agency, made_at=at, programme=e.programme
            )
            return replace(
                state,
                referrals=(*state.referrals, referral.agency),
                referral_log=(*state.referral_log, referral),
            )
        case ReferralAccepted() as e:
            return _update_referral(state, e.referral_id, status="accepted", answered_at=at)
        case ReferralRefused() as e:
            return _update_referral(state, e.referral_id, status="refused", answered_at=at)
        case ReferralClosed() as e:
            return _update_referral(state, e.referral_id, status="closed")
        case ReferralFollowUpRequested() as e:
            current = state.referral(str(e.referral_id))
            if current is None:
                return state
            return _update_referral(
                state, e.referral_id, reminders=max(current.reminders, e.reminder)
            )
        case SurveyAnswered():
            return replace(state, surveyed=True)
        case _:
            # Every case above matches on the event's class alone (DeadlineBreached's
            # guarded case falls through to its plain one), so no event of this class
            # ever matches one: the next is let through without trying them all.
            _UNFOLDED.add(type(event))
            return state


def fold(case_id: UUID, facts: Iterable[CaseFact]) -> CaseState:
    """Fold a case's facts in global-position order, whatever order they are given in."""
    state = CaseState(case_id=case_id)
    for fact in sorted(facts, key=lambda f: f.position):
        state = apply(state, fact)
    return state
