"""Event handlers: each event worth telling the citizen about becomes one message.

Every told event class gets its typed handler (registration, DTKS and domicile answers,
the letter signed and issued, referral, forwarding, merges, resolution); each runs the
`notify_citizen` policy in the consumer's own transaction (a joined unit of work), which
records the message and wakes the delivery worker; nothing is sent here. A citizen's
reply (`ReplyReceived`) opens WhatsApp's 24-hour window again; a provider's status report
(`ChannelDeliveryStatusReported`, from intake's webhook door) is folded onto its message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

import asyncpg

from services.notifications.adapters.casework_status import CaseworkStatus, HttpCaseworkStatus
from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import LetterLinks
from services.notifications.adapters.public_portal import PublicPortal
from services.notifications.adapters.unit_of_work import (
    PostgresNotificationsUnitOfWork,
    RunNotificationsUnitOfWork,
)
from services.notifications.config import get_notifications_settings
from services.notifications.service_layer.answer_status_request import answer_status_request
from services.notifications.service_layer.forget_erased_person import forget_erased_person
from services.notifications.service_layer.notify_citizen import (
    SERVICE,
    ToldEvent,
    notify_citizen,
)
from services.notifications.service_layer.notify_staff import StaffEvent, notify_staff
from services.notifications.service_layer.remember_contact import remember_contacts
from services.notifications.service_layer.remember_reply import remember_reply
from services.notifications.service_layer.when_delivery_status_reported import (
    when_delivery_status_reported,
)
from shared.consumer import BatchHandler, Handler, handles
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseDelegated,
    CaseForwarded,
    CaseMerged,
    DeadlineBreached,
    DeadlineWarned,
    DuplicateMerged,
)
from shared.contracts.documents_events import (
    DocumentsMissingNoted,
    LetterDraftingAssigned,
    LetterIssued,
)
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.events import (
    CaseAssigned,
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
    LetterApproved,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
    ReferralMade,
)
from shared.contracts.intake_events import (
    ChannelDeliveryStatusReported,
    ReplyReceived,
    StatusRequested,
)
from shared.deferred_append import event_scope, run_log_context
from shared.eventstore.store import EventStore
from shared.settings import get_settings

# The events told to the citizen (`notify_citizen`): a run of them is applied at once.
TOLD: tuple[type[Event], ...] = (
    ComplaintRegistered,
    DtksNotFound,
    DomicileRefused,
    DocumentsMissingNoted,
    LetterSigned,
    LetterIssued,
    ReferralMade,
    CaseForwarded,
    CaseMerged,
    DuplicateMerged,
    CaseResolved,
    CaseAnswered,
)


def build_handlers(
    directory: OfficeDirectory,
    links: LetterLinks,
    wake: Callable[[], None],
    *,
    portal: PublicPortal | None = None,
    casework: CaseworkStatus | None = None,
    staff_emails: Mapping[str, str] | None = None,
) -> dict[str, Handler]:
    """The handlers, with the office directory, the letter links, the delivery worker's
    wake, the public portal's links and casework's status read the bootstrap gives."""
    handlers, _ = build_consumers(
        directory, links, wake, portal=portal, casework=casework, staff_emails=staff_emails
    )
    return handlers


def build_consumers(
    directory: OfficeDirectory,
    links: LetterLinks,
    wake: Callable[[], None],
    *,
    portal: PublicPortal | None = None,
    casework: CaseworkStatus | None = None,
    staff_emails: Mapping[str, str] | None = None,
) -> tuple[dict[str, Handler], BatchHandler]:
    """The handlers (`build_handlers`) and the batch handler: a run of told events goes
    through `notify_citizen` at once (`RunNotificationsUnitOfWork`: the run's contacts
    read in one statement, its contacts and messages written in one each); any other
    event of the run is applied where it stands by its own handler, so the order is
    kept."""
    store = EventStore(SERVICE)
    settings = get_settings()
    portal = portal or PublicPortal.from_settings(settings)
    status_reader = casework or HttpCaseworkStatus(settings.slrt_casework_url)

    if staff_emails is None:
        staff_emails = get_notifications_settings().slrt_staff_emails

    async def tell_staff(
        conn: asyncpg.Connection, event: StaffEvent, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await notify_staff(uow, event, envelope, staff_emails=staff_emails)

    async def answer_status(
        conn: asyncpg.Connection, event: StatusRequested, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await answer_status_request(
            uow,
            event,
            envelope,
            directory=directory,
            casework=status_reader,
            portal=portal,
            wake=wake,
        )

    async def tell_citizen(
        conn: asyncpg.Connection, event: ToldEvent, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await notify_citizen(
            uow, event, envelope, directory=directory, links=links, portal=portal, wake=wake
        )

    async def reply(
        conn: asyncpg.Connection, event: ReplyReceived, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await remember_reply(uow, event, envelope.occurred_at)

    async def status(
        conn: asyncpg.Connection, event: ChannelDeliveryStatusReported, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await when_delivery_status_reported(uow, event, envelope.event_id)

    async def forget(
        conn: asyncpg.Connection, event: PersonalDataErased, envelope: EventEnvelope
    ) -> None:
        await forget_erased_person(conn, event)

    async def tell_run(conn: asyncpg.Connection, run: Sequence[EventEnvelope]) -> None:
        uow = RunNotificationsUnitOfWork.joined(conn, store)
        told: list[tuple[ToldEvent, EventEnvelope]] = []
        for envelope in run:
            event = envelope.payload()
            if not isinstance(event, TOLD):  # pragma: no cover - sorted by type below
                raise TypeError(f"{envelope.event_type} is not told to the citizen")
            told.append((cast(ToldEvent, event), envelope))
        await uow.prefetch(event.case_id for event, _ in told)
        # A told event ahead of its case's registration in the run (it came by another
        # topic) takes the contact from that registration, as it would from the store.
        await remember_contacts(uow, (e for e, _ in told if isinstance(e, ComplaintRegistered)))
        with run_log_context() as naming:  # (notify_citizen binds nothing of its own)
            for event, envelope in told:
                naming(envelope)
                await notify_citizen(
                    uow, event, envelope, directory=directory, links=links, portal=portal, wake=wake
                )
        await uow.flush()

    told_types = frozenset(e.event_type for e in TOLD)

    async def apply_run(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        run: list[EventEnvelope] = []
        for envelope in envelopes:
            if envelope.event_type in told_types:
                run.append(envelope)
                continue
            if run:
                await tell_run(conn, run)
                run = []
            with event_scope(envelope):
                await handlers[envelope.event_type](conn, envelope)
        if run:
            await tell_run(conn, run)

    handlers: dict[str, Handler] = {
        **handles(PersonalDataErased, forget),
        **handles(ComplaintRegistered, tell_citizen),
        **handles(DtksNotFound, tell_citizen),
        **handles(DomicileRefused, tell_citizen),
        **handles(DocumentsMissingNoted, tell_citizen),
        **handles(LetterSigned, tell_citizen),
        **handles(LetterIssued, tell_citizen),
        **handles(ReferralMade, tell_citizen),
        **handles(CaseForwarded, tell_citizen),
        **handles(CaseMerged, tell_citizen),
        **handles(DuplicateMerged, tell_citizen),
        **handles(CaseResolved, tell_citizen),
        **handles(CaseAnswered, tell_citizen),
        **handles(StatusRequested, answer_status),
        **handles(CaseAssigned, tell_staff),
        **handles(CaseDelegated, tell_staff),
        **handles(LetterDraftingAssigned, tell_staff),
        **handles(LetterDrafted, tell_staff),
        **handles(LetterReviewed, tell_staff),
        **handles(LetterReturned, tell_staff),
        **handles(LetterApproved, tell_staff),
        **handles(DeadlineWarned, tell_staff),
        **handles(DeadlineBreached, tell_staff),
        **handles(ReplyReceived, reply),
        **handles(ChannelDeliveryStatusReported, status),
    }
    return handlers, BatchHandler(frozenset(handlers), apply_run)
