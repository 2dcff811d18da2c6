"""Referrals: a case referred to another agency or programme, the receiver's answer, the
follow-up reminders until the referral is closed.

Where the service's standard lists agencies or programmes (Pariaman), a referral must name
one of them (`known_agencies`); elsewhere any agency may be named. Where it lists
programmes and the agencies that run them (`programme_agencies`), a referral that names a
programme must name one of them, and an agency that runs it.

Where the standard refers to programmes after its letter (`goes_on_after_letter`:
Pariaman's DTKS certificate, then the referral to PKH, Sembako, KIS or KIP, steps 7-9),
a case its signed certificate resolved may still be referred until it is closed.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.casework.domain.commands import AnswerReferral, CloseReferral, MakeReferral
from services.casework.domain.deadlines import OfficeCalendar, office_seconds_between
from services.casework.domain.lifecycle import SYSTEM_ACTOR, allow
from services.casework.domain.model import CaseState
from shared.catalogue import ServiceStandard
from shared.contracts.base import Event
from shared.contracts.casework_events import (
    ReferralAccepted,
    ReferralClosed,
    ReferralFollowUpRequested,
    ReferralRefused,
)
from shared.contracts.events import ReferralMade
from shared.refusal import Refused

REMINDER_EVERY_WORKING_DAYS = 3


def known_agencies(standard: ServiceStandard | None) -> frozenset[str] | None:
    """The agencies and programmes the service's standard refers to (None: not listed)."""
    if standard is None or not (standard.agencies or standard.programme_referrals):
        return None
    return frozenset(a.id for a in standard.agencies) | frozenset(
        p.programme for p in standard.programme_referrals
    )


def programme_agencies(standard: ServiceStandard | None) -> dict[str, frozenset[str]] | None:
    """Each programme the standard refers to, with the agencies that run it (None: the
    standard lists no programmes)."""
    if standard is None or not standard.programme_referrals:
        return None
    return {p.programme: frozenset(p.agencies) for p in standard.programme_referrals}


def goes_on_after_letter(standard: ServiceStandard | None) -> bool:
    """Whether the standard refers the citizen to assistance programmes as part of the
    service, which may come after its letter (Pariaman: "Surat Keterangan DTKS dan
    Informasi tentang Program Bansos")."""
    return standard is not None and bool(standard.programme_referrals)


def refer(
    state: CaseState,
    cmd: MakeReferral,
    *,
    referral_id: UUID,
    by: str,
    known_agencies: frozenset[str] | None = None,
    programmes: dict[str, frozenset[str]] | None = None,
    after_letter: bool = False,
) -> list[Event]:
    """ReferralMade. `after_letter`: the case's standard goes on after its letter, so a
    case its signed letter resolved may still be referred (not once it is closed).
    `programmes`: the standard's programmes and the agencies that run each."""
    allow(state, "refer", after_letter=after_letter)
    if known_agencies is not None and cmd.agency not in known_agencies:
        raise Refused.invalid(
            "unknown_agency",
            f"{cmd.agency!r} is not an agency or programme this service refers to.",
            details={"known": sorted(known_agencies)},
        )
    if programmes is not None and cmd.programme is not None:
        runs = programmes.get(cmd.programme)
        if runs is None:
            raise Refused.invalid(
                "unknown_programme",
                f"{cmd.programme!r} is not a programme this service refers to.",
                details={"known": sorted(programmes)},
            )
        if cmd.agency not in runs and cmd.agency != cmd.programme:
            raise Refused.invalid(
                "agency_not_for_programme",
                f"{cmd.agency!r} does not run the programme {cmd.programme!r}.",
                details={"programme": cmd.programme, "agencies": sorted(runs)},
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
    allow(state, action)
    referral = state.referral(str(referral_id))
    if referral is None:
        raise Refused.invalid("referral_not_found", f"No referral {referral_id} on this case.")
    if not referral.open:
        raise Refused.conflict(
            "referral_not_open",
            f"The referral is {referral.status}.",
            details={"referral_status": referral.status},
        )
    if action == "answer_referral" and referral.status != "made":
        raise Refused.conflict(
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
        raise Refused.invalid("reason_required", "A refusal needs its reason.")
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
