"""Events eligibility takes in: ComplaintRegistered (from intake)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.eligibility.adapters.unit_of_work import EligibilityRun, PostgresEligibilityUnitOfWork
from services.eligibility.service_layer.when_complaint_registered_check_eligibility import (
    check_eligibility_of_run,
    when_complaint_registered_check_eligibility,
)
from services.eligibility.service_layer.when_personal_data_erased_forget import (
    forget_erased_person,
)
from shared.catalogue import Catalogue
from shared.consumer import BatchHandler, Handler, handles
from shared.contracts.base import EventEnvelope
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.events import ComplaintRegistered
from shared.deferred_append import event_scope
from shared.eventstore.store import EventStore
from shared.logging import bind_context


def build_handlers(catalogue: Catalogue, store: EventStore) -> dict[str, Handler]:
    """event_type -> handler; each runs inside the consumer's transaction."""

    async def on_complaint_registered(
        conn: asyncpg.Connection, event: ComplaintRegistered, envelope: EventEnvelope
    ) -> None:
        bind_context(
            case_id=str(envelope.case_id),
            correlation_id=str(envelope.correlation_id),
            event_type=envelope.event_type,
            event_id=str(envelope.event_id),
        )
        uow = PostgresEligibilityUnitOfWork.joined(conn, store)
        await when_complaint_registered_check_eligibility(lambda: uow, catalogue, event, envelope)

    async def on_personal_data_erased(
        conn: asyncpg.Connection, event: PersonalDataErased, envelope: EventEnvelope
    ) -> None:
        await forget_erased_person(conn, event)

    return {
        **handles(ComplaintRegistered, on_complaint_registered),
        **handles(PersonalDataErased, on_personal_data_erased),
    }


def batch_handler(catalogue: Catalogue, store: EventStore) -> BatchHandler:
    """A run of registrations is checked at once (`check_eligibility_of_run`: the registry
    and the streams read in one statement each, the verdicts and `checks` rows written in
    one round); an erasure in the run is applied where it stands, so the run's order is
    kept. Should the run fail, the consumer takes it event by event (the handlers above)
    to find the event that fails."""

    async def check_run(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        async def check_run_of(run: list[tuple[ComplaintRegistered, EventEnvelope]]) -> None:
            await check_eligibility_of_run(EligibilityRun(conn, store), catalogue, run)

        registrations: list[tuple[ComplaintRegistered, EventEnvelope]] = []
        for envelope in envelopes:
            event = envelope.payload()
            if isinstance(event, ComplaintRegistered):
                registrations.append((event, envelope))
                continue
            if registrations:
                await check_eligibility_of_run(
                    EligibilityRun(conn, store), catalogue, registrations
                )
                registrations = []
            if isinstance(event, PersonalDataErased):
                with event_scope(envelope):
                    await forget_erased_person(conn, event)
                continue
            raise TypeError(f"{envelope.event_type} is not taken a run at a time")
        if registrations:
            await check_run_of(registrations)

    return BatchHandler(
        frozenset({ComplaintRegistered.event_type, PersonalDataErased.event_type}), check_run
    )
