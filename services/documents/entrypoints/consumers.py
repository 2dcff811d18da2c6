"""Events the documents service takes in, and the policy each one runs (typed handlers).

Each handler runs inside the consumer's transaction, which also records the event id:
a redelivery changes nothing. The catalogue comes from the bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.documents.adapters import projections
from services.documents.adapters.unit_of_work import PostgresDocumentsUnitOfWork
from services.documents.service_layer.record_taken_in import TAKEN_IN, record_taken_in
from services.documents.service_layer.when_case_attachment_announced_record import (
    when_case_attachment_announced_record,
)
from services.documents.service_layer.when_case_disposed_record_drafter import (
    when_case_delegated_record_drafter,
    when_case_disposed_record_drafter,
)
from services.documents.service_layer.when_complaint_registered_open_checklist import (
    when_complaint_registered_open_checklist,
)
from services.documents.service_layer.when_dtks_checked_record_result import (
    when_dtks_not_found_record_result,
    when_dtks_verified_record_result,
)
from services.documents.service_layer.when_personal_data_erased_forget import (
    forget_erased_person,
)
from shared.catalogue import Catalogue
from shared.consumer import BatchHandler, Handler, handles
from shared.contracts.attachment_events import CaseAttachmentFetchFailed, CaseAttachmentReceived
from shared.contracts.base import EventEnvelope
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.events import CaseAssigned, ComplaintRegistered, DtksNotFound, DtksVerified
from shared.eventstore.store import EventStore


def handlers(catalogue: Catalogue, store: EventStore) -> dict[str, Handler]:
    def joined(conn: asyncpg.Connection) -> PostgresDocumentsUnitOfWork:
        return PostgresDocumentsUnitOfWork.joined(conn, store)

    async def on_complaint_registered(
        conn: asyncpg.Connection, event: ComplaintRegistered, _envelope: EventEnvelope
    ) -> None:
        await when_complaint_registered_open_checklist(joined(conn), event, catalogue)

    async def on_dtks_verified(
        conn: asyncpg.Connection, event: DtksVerified, envelope: EventEnvelope
    ) -> None:
        await when_dtks_verified_record_result(joined(conn), event, envelope)

    async def on_dtks_not_found(
        conn: asyncpg.Connection, event: DtksNotFound, envelope: EventEnvelope
    ) -> None:
        await when_dtks_not_found_record_result(joined(conn), event, envelope)

    async def on_case_assigned(
        conn: asyncpg.Connection, event: CaseAssigned, envelope: EventEnvelope
    ) -> None:
        await when_case_disposed_record_drafter(joined(conn), event, envelope)

    async def on_case_delegated(
        conn: asyncpg.Connection, event: CaseDelegated, envelope: EventEnvelope
    ) -> None:
        await when_case_delegated_record_drafter(joined(conn), event, envelope)

    async def on_case_attachment(
        conn: asyncpg.Connection,
        _event: CaseAttachmentReceived | CaseAttachmentFetchFailed,
        envelope: EventEnvelope,
    ) -> None:
        await when_case_attachment_announced_record(joined(conn), envelope)

    async def on_personal_data_erased(
        conn: asyncpg.Connection, event: PersonalDataErased, _envelope: EventEnvelope
    ) -> None:
        await forget_erased_person(joined(conn), event)

    return {
        **handles(PersonalDataErased, on_personal_data_erased),
        **handles(CaseAttachmentReceived, on_case_attachment),
        **handles(CaseAttachmentFetchFailed, on_case_attachment),
        **handles(ComplaintRegistered, on_complaint_registered),
        **handles(CaseAssigned, on_case_assigned),
        **handles(CaseDelegated, on_case_delegated),
        **handles(DtksVerified, on_dtks_verified),
        **handles(DtksNotFound, on_dtks_not_found),
    }


def batch_handler(catalogue: Catalogue, store: EventStore) -> BatchHandler:
    """A run of the facts the service only records goes through the same policies into
    memory (`projections.Refolded`, with the tables' rules), then onto the tables with one
    pipelined round per table; a batch holding anything else goes event by event."""

    async def record_run(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        uow = PostgresDocumentsUnitOfWork.joined(conn, store)
        taken = uow.inbound = projections.Refolded()
        for envelope in envelopes:
            await record_taken_in(uow, envelope, catalogue)
        await projections.write_taken_in(conn, taken)

    return BatchHandler(frozenset(e.event_type for e in TAKEN_IN), record_run)
