"""The walk-in desk: a queue number and a guest-book entry per visit, and the ID card a
visitor may leave at reception (Kupang) until it is handed back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal
from uuid import UUID

from shared.contracts.base import Event
from shared.contracts.intake_events import (
    GuestBookSigned,
    IdCardDeposited,
    IdCardReturned,
    VisitCalled,
)
from shared.refusal import Refused

CardKind = Literal["ktp", "sim", "other"]


def queue_number(n: int) -> str:
    """The day's n-th visitor: `A-007`."""
    return f"A-{n:03d}"


def sign_guest_book(
    *,
    visit_id: UUID,
    office: str,
    visit_date: date,
    n: int,
    purpose: str,
    id_card: CardKind | None,
    actor: str,
) -> list[Event]:
    """A visitor took the day's n-th number; a card left at reception is said at once."""
    events: list[Event] = [
        GuestBookSigned(
            visit_id=visit_id,
            office=office,
            visit_date=visit_date,
            queue_number=queue_number(n),
            purpose=purpose[:500],
            checked_in_by=actor,
        )
    ]
    if id_card:
        events.append(
            IdCardDeposited(visit_id=visit_id, office=office, card_kind=id_card, held_by=actor)
        )
    return events


@dataclass(frozen=True)
class Visit:
    """A visit as the ID-card decisions see it (PostgreSQL keeps it as the `intake.visits`
    row, locked while staff act; `fold_visit` is the same state from the visit's stream)."""

    visit_id: UUID
    office: str
    case_id: UUID | None
    card_left: bool
    card_returned: bool
    queue_number: str = ""
    called: bool = False


def fold_visit(visit_id: UUID, events: Iterable[Event]) -> Visit | None:
    """A visit folded from its `visit-<visit_id>` stream."""
    visit: Visit | None = None
    for event in events:
        match event:
            case GuestBookSigned(office=office, queue_number=number):
                visit = Visit(
                    visit_id,
                    office,
                    None,
                    card_left=False,
                    card_returned=False,
                    queue_number=number,
                )
            case IdCardDeposited(case_id=case_id) if visit is not None:
                visit = replace(visit, case_id=case_id or visit.case_id, card_left=True)
            case IdCardReturned() if visit is not None:
                visit = replace(visit, card_returned=True)
            case VisitCalled() if visit is not None:
                visit = replace(visit, called=True)
    return visit


def return_id_card(
    visit_id: UUID, visit: Visit | None, *, staff_office: str, actor: str
) -> list[Event]:
    """The card left at reception is handed back, once."""
    if visit is None:
        raise Refused.not_found("visit_not_found", f"No visit {visit_id}.")
    if visit.office != staff_office:
        raise Refused.forbidden("wrong_office", "The visit is another office's.")
    if not visit.card_left:
        raise Refused.conflict("no_id_card", "No ID card was left for this visit.")
    if visit.card_returned:
        raise Refused.conflict("already_returned", "The ID card was already given back.")
    return [
        IdCardReturned(
            visit_id=visit.visit_id, case_id=visit.case_id, office=visit.office, returned_by=actor
        )
    ]


def call_visit(
    visit_id: UUID, visit: Visit | None, *, staff_office: str, actor: str
) -> list[Event]:
    """Reception calls a waiting visitor's number to the desk, once (the dashboard's "call
    next" picks the oldest visit of the day not yet called)."""
    if visit is None:
        raise Refused.not_found("visit_not_found", f"No visit {visit_id}.")
    if visit.office != staff_office:
        raise Refused.forbidden("wrong_office", "The visit is another office's.")
    if visit.called:
        raise Refused.conflict("already_called", "This queue number was already called.")
    return [
        VisitCalled(
            visit_id=visit.visit_id,
            office=visit.office,
            queue_number=visit.queue_number,
            called_by=actor,
        )
    ]
