"""Events intake takes in, as typed handlers (`shared.consumer.handles`).

- `InboundReceived` (its own adapters, topic `slrt.intake.inbound`): route each message
  into a reply, a case or the triage queue (`when_inbound_received_route.py`).
- `CaseResolved` and `CaseClosed` (casework): a finished case stops attracting duplicates
  (`when_case_ended_stop_duplicates.py`).
- the public topic `slrt.intake.adapters` (outside channel adapters' `AdapterMessage`, not
  an envelope): kept and published as if a door had received it
  (`receive_adapter_message.py`); a refusal is dead-lettered with its reason.

Each handler runs inside the consumer's transaction (a joined unit of work), which also
records the event id: a redelivery changes nothing.
"""

from __future__ import annotations

import asyncpg

from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.entrypoints.deps import units_of_work
from services.intake.service_layer.receive_adapter_message import receive_adapter_message
from services.intake.service_layer.when_case_ended_stop_duplicates import close_ended_case
from services.intake.service_layer.when_inbound_received_route import route_inbound_message
from services.intake.service_layer.when_personal_data_erased_forget import forget_erased_person
from shared.catalogue import Catalogue
from shared.consumer import Handler, Origin, RawHandler, handles
from shared.contracts.adapters import ADAPTERS_TOPIC
from shared.contracts.base import EventEnvelope
from shared.contracts.casework_events import CaseClosed
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.events import CaseResolved
from shared.contracts.intake_events import InboundReceived
from shared.eventstore.store import EventStore
from shared.runtime import ServiceRuntime


def make_handlers(catalogue: Catalogue, store: EventStore) -> dict[str, Handler]:
    """The handlers, given the catalogue and event store the bootstrap holds."""

    async def on_inbound_received(
        conn: asyncpg.Connection, event: InboundReceived, envelope: EventEnvelope
    ) -> None:
        uow = IntakeUnitOfWork.joined(conn, store)
        await route_inbound_message(uow, catalogue, event, envelope)

    async def on_case_resolved(
        conn: asyncpg.Connection, event: CaseResolved, envelope: EventEnvelope
    ) -> None:
        await close_ended_case(IntakeUnitOfWork.joined(conn, store), envelope.case_id, envelope)

    async def on_case_closed(
        conn: asyncpg.Connection, event: CaseClosed, envelope: EventEnvelope
    ) -> None:
        await close_ended_case(IntakeUnitOfWork.joined(conn, store), envelope.case_id, envelope)

    async def on_personal_data_erased(
        conn: asyncpg.Connection, event: PersonalDataErased, envelope: EventEnvelope
    ) -> None:
        await forget_erased_person(IntakeUnitOfWork.joined(conn, store), event)

    return {
        **handles(InboundReceived, on_inbound_received),
        **handles(PersonalDataErased, on_personal_data_erased),
        **handles(CaseResolved, on_case_resolved),
        **handles(CaseClosed, on_case_closed),
    }


def make_raw_handlers(runtime: ServiceRuntime) -> dict[str, RawHandler]:
    """Topics whose records are not envelopes: the outside adapters' messages."""

    async def on_adapter_message(raw: bytes, origin: Origin) -> None:
        await receive_adapter_message(
            units_of_work(runtime), runtime.pool, runtime.catalogue, raw, origin
        )

    return {ADAPTERS_TOPIC: on_adapter_message}
