"""Use case: remember how to reach a case's citizen, from its `ComplaintRegistered`.

The contact is chosen once (`domain.contacts.choose_contact`) and kept in
`notifications.contacts`. An event of another service may reach notifications before
the registration does (it travels on intake's topic, the other event on its own), so
`contact_of_case` reads the registration from the event store when it is not kept yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.contacts import CaseContact, contact_of
from shared.contracts.events import ComplaintRegistered


class RegistrationUnknown(LookupError):
    """An event for a case whose ComplaintRegistered is not in the store (yet).

    Not a refusal (`shared.refusal.Refused`): no caller asked for anything, and it never
    reaches HTTP. It is the consumer's "cannot happen yet" signal: the event is retried
    (by the consumer, then by the catch-up from the store) and dead-lettered if the
    registration never appears."""


async def remember_contact(uow: NotificationsUnitOfWork, reg: ComplaintRegistered) -> CaseContact:
    """Keep the contact the registration gives (the first one kept wins); the one kept."""
    return await uow.contacts.remember(contact_of(reg))


async def remember_contacts(
    uow: NotificationsUnitOfWork, registrations: Iterable[ComplaintRegistered]
) -> None:
    """Keep the contacts these registrations give (a run's, at once): what
    `contact_of_case` would read from the store for an event of one of these cases that
    comes ahead of its registration (by another topic) is already at hand."""
    for reg in registrations:
        await uow.contacts.remember(contact_of(reg))


async def contact_of_case(uow: NotificationsUnitOfWork, case_id: UUID) -> CaseContact:
    """The case's contact; from the store's registration when it is not kept yet."""
    kept = await uow.contacts.find(case_id)
    if kept is not None:
        return kept
    history = await uow.events.read_case(case_id)
    for envelope in (e for e in history if e.event_type == ComplaintRegistered.event_type):
        match envelope.payload():
            case ComplaintRegistered() as reg:
                return await remember_contact(uow, reg)
    raise RegistrationUnknown(f"no ComplaintRegistered in the store for case {case_id}")
