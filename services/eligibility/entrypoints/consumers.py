"""Events eligibility takes in: ComplaintRegistered (from intake)."""

from __future__ import annotations

import asyncpg

from services.eligibility.adapters.unit_of_work import PostgresEligibilityUnitOfWork
from services.eligibility.service_layer.when_complaint_registered_check_eligibility import (
    when_complaint_registered_check_eligibility,
)
from services.eligibility.service_layer.when_personal_data_erased_forget import (
    forget_erased_person,
)
from shared.catalogue import Catalogue
from shared.consumer import Handler, handles
from shared.contracts.base import EventEnvelope
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.events import ComplaintRegistered
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
