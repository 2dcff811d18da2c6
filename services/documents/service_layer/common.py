"""What every documents use case shares: the unit of work it is given, the one runner,
the approval chain a case follows, and the checks before any decision on a letter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

import structlog

from services.documents.adapters.unit_of_work import DocumentsUnitOfWork
from services.documents.domain import letter as model
from services.documents.domain.facts import CaseOnFile, LetterOnFile
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.eventstore.store import ConcurrencyError
from shared.refusal import Refused
from shared.unit_of_work import Repository, decide_and_append

NewUnitOfWork = Callable[[], DocumentsUnitOfWork]
K = TypeVar("K")
S = TypeVar("S")


def command_meta(staff: StaffIdentity, correlation_id: UUID) -> EventMetadata:
    """Who acts and in which flow; the repository places it on the case it acts on."""
    return EventMetadata(correlation_id=correlation_id, actor=staff.actor)


async def run(
    new_uow: NewUnitOfWork,
    repository: Callable[[DocumentsUnitOfWork], Repository[K, S]],
    key: K,
    decide: Callable[[S], Sequence[Event]],
    meta: EventMetadata,
) -> list[EventEnvelope]:
    """`decide_and_append`, and a stream still moving after its retries is a 409."""
    try:
        return await decide_and_append(new_uow, repository, key, decide, meta)
    except ConcurrencyError as exc:
        raise Refused.conflict(
            "conflict",
            "Someone else acted on this at the same moment; reload and try again.",
            details={"stream_id": exc.stream_id},
        ) from exc


def chain_plan(catalogue: Catalogue, case: CaseOnFile) -> model.ChainPlan:
    """The approval chain of the case's service, for the channel it came through."""
    service = catalogue.office(case.office).service(case.service)
    steps = service.approval_chain_for(case.channel) if case.channel else service.approval_chain
    return model.plan_chain(steps)


def separation_of_duties(catalogue: Catalogue | None, office: str) -> bool:
    """The office's rule (on by default): one person takes one step of a letter's chain."""
    if catalogue is None or office not in catalogue.offices:
        return True
    return catalogue.office(office).separation_of_duties


def check_letter(on_file: LetterOnFile, staff: StaffIdentity, expected_version: int | None) -> None:
    """Before any decision on a letter: the office's staff only, on the version they saw."""
    letter = on_file.letter
    structlog.contextvars.bind_contextvars(
        case_id=str(letter.case_id), letter_id=str(letter.letter_id)
    )
    authorize(staff, office=on_file.case.office)
    if expected_version is not None and expected_version != letter.version:
        raise Refused.conflict(
            "conflict",
            "The letter changed since you loaded it; reload and try again.",
            details={"expected_version": expected_version, "version": letter.version},
        )


async def act_on_letter(
    new_uow: NewUnitOfWork,
    letter_id: UUID,
    staff: StaffIdentity,
    correlation_id: UUID,
    expected_version: int | None,
    decide: Callable[[LetterOnFile], Sequence[Event]],
    repository: Callable[[DocumentsUnitOfWork], Repository[UUID, LetterOnFile]] | None = None,
) -> model.Letter:
    """Check, decide on the letter, append (and project); the letter after it."""
    after: list[model.Letter] = []

    def checked(on_file: LetterOnFile) -> Sequence[Event]:
        check_letter(on_file, staff, expected_version)
        events = list(decide(on_file))
        after[:] = [model.fold_onto(on_file.letter, events)]
        return events

    await run(
        new_uow,
        repository or (lambda uow: uow.letters),
        letter_id,
        checked,
        command_meta(staff, correlation_id),
    )
    return after[0]
