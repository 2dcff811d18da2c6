"""What every decision on a case has in common: which case, who acts, and running it
through `shared.unit_of_work.decide_and_append` (lock, fold, decide, append + project,
commit; decided again if the case's stream moved meanwhile).

One use case per module beside this one (`assign_case.py`, `refer_case.py`, ...); each
names its domain decision and calls `decide_on_case`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from services.casework.domain.lifecycle import SYSTEM_ACTOR
from services.casework.domain.model import CaseState
from services.casework.service_layer.unit_of_work import NewUnitOfWork, cases_of
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.vocab import Channel
from shared.eventstore.store import ConcurrencyError
from shared.logging import get_logger
from shared.refusal import Refused
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)

Decide = Callable[[CaseState], Sequence[Event]]


@dataclass(frozen=True)
class CaseRef:
    """What the case row tells a command: which case, whose office, which channel."""

    case_id: UUID
    office: str
    channel: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who acts: `actor` as the envelope names it (`staff:<id>`, `citizen`,
    `system:casework`), and the staff id the rules check (who owns the case)."""

    actor: str
    correlation_id: UUID
    staff_id: str = ""

    @classmethod
    def staff(cls, staff_id: str, correlation_id: UUID) -> Actor:
        return cls(actor=f"staff:{staff_id}", correlation_id=correlation_id, staff_id=staff_id)

    @classmethod
    def system(cls, correlation_id: UUID | None = None) -> Actor:
        """Casework acting by itself (the deadline check)."""
        return cls(actor=SYSTEM_ACTOR, correlation_id=correlation_id or uuid4())


def metadata(case: CaseRef, actor: Actor) -> EventMetadata:
    return EventMetadata(
        case_id=case.case_id,
        office=case.office,
        correlation_id=actor.correlation_id,
        actor=actor.actor,
        channel=Channel(case.channel) if case.channel else None,
    )


async def decide_on_case(
    new_uow: NewUnitOfWork, case: CaseRef, actor: Actor, decide: Decide
) -> list[EventEnvelope]:
    """Run one decision on a case. A refusal is raised as it is; a case that kept moving
    under us (three times) is refused as `concurrent_update` (409)."""
    try:
        appended = await decide_and_append(
            new_uow, cases_of, case.case_id, decide, metadata(case, actor)
        )
    except ConcurrencyError as exc:
        raise Refused.conflict(
            "concurrent_update", f"The case changed while deciding; try again. ({exc})"
        ) from exc
    log.info("case_command_done", events=[e.event_type for e in appended])
    return appended
