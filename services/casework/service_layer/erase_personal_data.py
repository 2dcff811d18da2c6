"""Use case: erase a person's data (crypto-shredding; UU 27/2022 PDP).

In one transaction: the person of the case (its subjects, and every subject with the same
NIK blind index) loses its data keys, `PersonalDataErased` is appended for each of the
person's cases (stream `erasure-<case>`), and casework's own rows of those cases are
blanked. From the commit on, every personal field of every event about the person reads
as erased, here, on Kafka and in any rebuild; the other services blank their copies when
the event reaches them. Statuses, dates and counts stay (SLA statistics stay right).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.casework.adapters import erasure as rows
from services.casework.domain.timeline import entry_from_envelope
from services.casework.service_layer.case_command import Actor, CaseRef
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.erasure_events import PersonalDataErased
from shared.contracts.streams import erasure_stream
from shared.eventstore.subjects import destroy_keys, person_of_case
from shared.logging import get_logger
from shared.refusal import Refused
from shared.unit_of_work import PostgresUnitOfWork

log = get_logger(__name__)


async def erase_personal_data(
    new_uow: NewUnitOfWork,
    case: CaseRef,
    legal_basis: str,
    actor: Actor,
    *,
    retention: bool = False,
) -> list[EventEnvelope]:
    async with new_uow() as uow:
        # Keys and projections in the same transaction: only the PostgreSQL unit of work.
        assert isinstance(uow, PostgresUnitOfWork)
        conn = uow.conn
        person = await person_of_case(conn, case.case_id)
        if await uow.events.version(erasure_stream(case.case_id)) and not person.subjects:
            raise Refused.conflict("already_erased", "This case's person is already erased.")
        destroyed = await destroy_keys(conn, person.subjects, reason=legal_basis, by=actor.actor)
        if person.subjects and not destroyed:
            raise Refused.conflict("already_erased", "This case's person is already erased.")
        offices = await rows.case_places(conn, person.cases)
        now = datetime.now(UTC)
        appended: list[EventEnvelope] = []
        for case_id in person.cases:
            office = offices.get(case_id, case.office if case_id == case.case_id else None)
            stream = erasure_stream(case_id)
            event = PersonalDataErased(
                case_id=case_id,
                subject_ids=tuple(person.subjects),
                legal_basis=legal_basis,
                erased_by=actor.actor,
                erased_at=now,
                retention=retention,
            )
            meta = EventMetadata(
                case_id=case_id,
                office=office,
                correlation_id=actor.correlation_id,
                actor=actor.actor,
            )
            appended += await uow.events.append(
                stream, await uow.events.version(stream), [event], meta
            )
            # What casework copied of the person, as the events now read.
            entries = [
                e
                for e in map(entry_from_envelope, await uow.events.read_case(case_id))
                if e is not None
            ]
            await rows.blank_case(conn, case_id, entries)
        await uow.commit()
    log.info(
        "personal_data_erased",
        case_id=str(case.case_id),
        cases=len(person.cases),
        subjects=len(person.subjects),
        retention=retention,
    )
    return appended
