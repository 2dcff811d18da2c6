"""DtksVerified / DtksNotFound: record eligibility's answer, which decides whether a
letter of a service that requires DTKS listing may be drafted. A redelivered older
answer never overwrites a newer one (ordered by the event's global position).

Not a decision on a stream of ours: a projection of eligibility's fact, in the
consumer's transaction. The rebuild runs this same step.
"""

from __future__ import annotations

from services.documents.adapters.unit_of_work import DocumentsUnitOfWork
from services.documents.domain.facts import DtksOutcome
from shared.contracts.base import EventEnvelope
from shared.contracts.events import DtksNotFound, DtksVerified


async def when_dtks_verified_record_result(
    uow: DocumentsUnitOfWork, event: DtksVerified, envelope: EventEnvelope
) -> None:
    await uow.inbound.record_dtks(
        DtksOutcome(
            case_id=event.case_id,
            status="verified",
            reason=None,
            programmes=tuple(event.programmes),
            source=event.source,
            global_position=envelope.global_position,
        )
    )


async def when_dtks_not_found_record_result(
    uow: DocumentsUnitOfWork, event: DtksNotFound, envelope: EventEnvelope
) -> None:
    await uow.inbound.record_dtks(
        DtksOutcome(
            case_id=event.case_id,
            status="not_found",
            reason=event.reason,
            programmes=(),
            source=None,
            global_position=envelope.global_position,
        )
    )
