"""Likely duplicates: which open case a new request probably repeats, and staff's verdict.

The rule (README, "Duplicates"): a new request is a likely duplicate of a case of the same
office that is still open and was received at most `DUPLICATE_WINDOW` (30 days) before it,
when they share

1. the NIK and the service (`same_nik_and_service`), or
2. the phone number (`same_phone`), or
3. the citizen (one person reached through another channel) and the service
   (`same_citizen_and_service`).

Of the cases that match, the earliest received wins; a case matching several rules is
named by the first. Nothing is merged here: the link is only suspected
(`DuplicateSuspected`) until staff confirm it (casework then merges the case) or dismiss it.

This module is the rule. PostgreSQL runs the same rule as the fast path of a registration
(`migrations/004_identify_function.sql`, one indexed lookup per rule inside the statement
that also numbers the ticket), and `tests/integration/test_intake_duplicates.py` runs one
table of cases through both and asserts they agree. The group commit applies this module
to the requests of its own batch, which the table cannot show yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from shared.contracts.base import Event
from shared.contracts.intake_events import (
    DuplicateConfirmed,
    DuplicateDismissed,
    DuplicateSuspected,
)
from shared.refusal import Refused

DUPLICATE_WINDOW = timedelta(days=30)

Reason = Literal["same_nik_and_service", "same_phone", "same_citizen_and_service"]
RULES: tuple[Reason, ...] = ("same_nik_and_service", "same_phone", "same_citizen_and_service")


@dataclass(frozen=True)
class Request:
    """What the rule needs of a request: a new one, or a registered case (a candidate)."""

    office: str
    service: str
    received_at: datetime
    nik: str | None = None
    phone: str | None = None  # normalised (E.164)
    citizen_id: UUID | None = None  # None: anonymous, or nothing identifies the person


@dataclass(frozen=True)
class OpenCase:
    """A registered case that may attract duplicates; `closed` ones never do."""

    case_id: UUID
    request: Request
    closed: bool = False


@dataclass(frozen=True)
class LikelyDuplicate:
    """The case a new request probably repeats, and the rule that says so."""

    case_id: UUID
    reason: str


def matching_rule(new: Request, earlier: Request) -> Reason | None:
    """The first rule by which `earlier` looks like `new` (window and state aside)."""
    if earlier.office != new.office:
        return None
    same_service = earlier.service == new.service
    if new.nik is not None and earlier.nik == new.nik and same_service:
        return "same_nik_and_service"
    if new.phone is not None and earlier.phone == new.phone:
        return "same_phone"
    if new.citizen_id is not None and earlier.citizen_id == new.citizen_id and same_service:
        return "same_citizen_and_service"
    return None


def within_window(new: Request, earlier: Request) -> bool:
    """Received at most `DUPLICATE_WINDOW` before the new request (or after it: a letter
    typed in late carries the day it was received)."""
    return earlier.received_at >= new.received_at - DUPLICATE_WINDOW


def likely_duplicate(new: Request, candidates: Iterable[OpenCase]) -> LikelyDuplicate | None:
    """The earliest open case within the window that looks like `new`, or None."""
    best: tuple[datetime, int, OpenCase, Reason] | None = None
    for case in candidates:
        if case.closed or not within_window(new, case.request):
            continue
        reason = matching_rule(new, case.request)
        if reason is None:
            continue
        key = (case.request.received_at, RULES.index(reason))
        if best is None or key < best[:2]:
            best = (*key, case, reason)
    return None if best is None else LikelyDuplicate(best[2].case_id, best[3])


# ---- staff's verdict on a suspected link ------------------------------------------------


@dataclass(frozen=True)
class DuplicateLink:
    """The latest suspected link of a case, as staff decide on it. PostgreSQL keeps it as
    a row (`intake.duplicates`, locked while staff decide); `fold_link` is the same state
    from the case's stream."""

    case_id: UUID
    duplicate_of: UUID
    office: str
    status: Literal["suspected", "confirmed", "dismissed"]


def fold_link(case_id: UUID, office: str | None, events: Iterable[Event]) -> DuplicateLink | None:
    """The latest link of a case, folded from its `complaint-<case_id>` stream (`office`:
    the stream's office, from its metadata)."""
    link: DuplicateLink | None = None
    for event in events:
        match event:
            case DuplicateSuspected(duplicate_of=duplicate_of):
                link = DuplicateLink(case_id, duplicate_of, office or "", "suspected")
            case DuplicateConfirmed() if link is not None:
                link = replace(link, status="confirmed")
            case DuplicateDismissed() if link is not None:
                link = replace(link, status="dismissed")
    return link


def _decidable(link: DuplicateLink | None, staff_office: str) -> DuplicateLink:
    if link is None:
        raise Refused.not_found("no_duplicate", "No likely duplicate is linked to this case.")
    if link.office != staff_office:
        raise Refused.forbidden("wrong_office", "The case is another office's.")
    if link.status != "suspected":
        raise Refused.conflict(
            "already_decided", f"The link was already {link.status}.", {"status": link.status}
        )
    return link


def confirm(link: DuplicateLink | None, *, staff_office: str, actor: str) -> list[Event]:
    """Staff say it is the same request: casework merges the newer case."""
    found = _decidable(link, staff_office)
    return [
        DuplicateConfirmed(
            case_id=found.case_id, duplicate_of=found.duplicate_of, confirmed_by=actor
        )
    ]


def dismiss(
    link: DuplicateLink | None, *, staff_office: str, actor: str, reason: str
) -> list[Event]:
    """Staff say the two are different requests: both go on separately."""
    found = _decidable(link, staff_office)
    return [
        DuplicateDismissed(
            case_id=found.case_id,
            duplicate_of=found.duplicate_of,
            dismissed_by=actor,
            reason=reason,
        )
    ]
