"""Use case: a visitor at the walk-in desk takes the day's queue number and signs the guest
book (`GuestBookSigned`); an ID card left at reception is recorded at once
(`IdCardDeposited`) and stays listed until it is handed back (`return_id_card.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from services.intake.adapters.unit_of_work import IntakeWork
from services.intake.domain import visits
from services.intake.domain.visits import CardKind
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.contracts.base import EventMetadata
from shared.contracts.vocab import Channel
from shared.localtime import local_today
from shared.refusal import Refused


@dataclass(frozen=True)
class Visit:
    visit_id: UUID
    queue_number: str
    visit_date: date


async def sign_guest_book(
    new_uow: Callable[[], IntakeWork],
    catalogue: Catalogue,
    staff: StaffIdentity,
    *,
    name: str,
    phone: str | None,
    nik: str | None,
    purpose: str,
    id_card: CardKind | None,
    correlation_id: UUID,
) -> Visit:
    office = catalogue.offices.get(staff.office)
    if office is None:
        raise Refused.forbidden("wrong_office", "Your office is not in the catalogue.")
    today = local_today(office.region_code)
    visit_id = uuid4()
    async with new_uow() as uow:
        n = await uow.visits.next_number(office.id, today)
        events = visits.sign_guest_book(
            visit_id=visit_id,
            office=office.id,
            visit_date=today,
            n=n,
            purpose=purpose,
            id_card=id_card,
            actor=staff.actor,
        )
        await uow.visits.append(
            visit_id,
            0,
            events,
            EventMetadata(
                office=office.id,
                correlation_id=correlation_id,
                actor=staff.actor,
                channel=Channel.WALK_IN,
            ),
            visitor={"name": name, "phone": phone, "nik": nik, "purpose": purpose},
        )
        await uow.commit()
    return Visit(visit_id, visits.queue_number(n), today)
