"""CaseAssigned (kind disposition) / CaseDelegated: record who drafts the case's letter.

The one disposition of a case is casework's (`services/casework/service_layer/
dispose_case.py`, `delegate_case.py`): the head of office names the official and the role
(one the standard's `disposition` allows), who drafts or delegates down the line. Where a
letter's chain starts with a disposition step (Kupang), only that official drafts it, in
that role (`domain/letter.drafting_role`). Other assignments (a social worker, a walk-in
hand-over) do not name a drafter and change nothing here.

Not a decision on a stream of ours: a projection of casework's fact, in the consumer's
transaction; a redelivered older one never overwrites a newer one (global position). The
rebuild runs this same step.
"""

from __future__ import annotations

from services.documents.adapters.unit_of_work import DocumentsUnitOfWork
from services.documents.domain.facts import DrafterNamed
from shared.contracts.base import EventEnvelope
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.events import CaseAssigned
from shared.logging import get_logger

log = get_logger(__name__)


async def when_case_disposed_record_drafter(
    uow: DocumentsUnitOfWork, event: CaseAssigned, envelope: EventEnvelope
) -> None:
    if event.kind != "disposition":
        return
    await uow.inbound.record_drafter(
        DrafterNamed(
            case_id=event.case_id,
            staff_id=event.assignee,
            role=event.role,
            named_by=event.assigned_by,
            kind="disposition",
            instruction=event.instruction,
            global_position=envelope.global_position,
            at=envelope.occurred_at,
        )
    )
    log.info("drafter_recorded", kind="disposition", role=event.role.value)


async def when_case_delegated_record_drafter(
    uow: DocumentsUnitOfWork, event: CaseDelegated, envelope: EventEnvelope
) -> None:
    await uow.inbound.record_drafter(
        DrafterNamed(
            case_id=event.case_id,
            staff_id=event.assignee,
            role=event.role,
            named_by=event.by,
            kind="delegation",
            instruction=event.instruction,
            global_position=envelope.global_position,
            at=envelope.occurred_at,
        )
    )
    log.info("drafter_recorded", kind="delegation", role=event.role.value)
