"""Policy: a confirmed duplicate is merged into the open case (CaseMerged on the
duplicate, DuplicateMerged on the survivor).

Two cases in one decision, so this runs its own small "lock, fold, decide, append":
both cases are locked in a fixed order (by id) so two merges cannot deadlock, then
folded, then the domain decides for both. It runs in the consumer's transaction (a
joined unit of work: the consumer retries the whole event on a race). A merge the
lifecycle does not allow (the duplicate was already closed or forwarded) is not
appended; the refusal is logged with its reason and the confirmation stays on the
duplicate's timeline for staff to see.
"""

from __future__ import annotations

from services.casework.domain.lifecycle import SYSTEM_ACTOR, merge_duplicate
from services.casework.service_layer.unit_of_work import CaseworkUnitOfWork
from shared.contracts.base import EventEnvelope
from shared.contracts.intake_events import DuplicateConfirmed
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)


async def when_duplicate_confirmed_merge_cases(
    uow: CaseworkUnitOfWork, confirmed: DuplicateConfirmed, envelope: EventEnvelope
) -> None:
    dup_id, into_id = confirmed.case_id, confirmed.duplicate_of
    async with uow:
        for case_id in sorted((dup_id, into_id), key=str):
            await uow.cases.lock(case_id)
        duplicate = await uow.cases.load(dup_id)
        survivor = await uow.cases.load(into_id)
        try:
            dup_events, into_events = merge_duplicate(
                duplicate.state,
                survivor.state,
                by=f"staff:{confirmed.confirmed_by.removeprefix('staff:')}",
                reason="Dikonfirmasi sebagai permohonan ganda.",
            )
        except Refused as refused:
            log.warning(
                "merge_refused", code=refused.code, reason=refused.message, **refused.details
            )
            return
        meta = envelope.metadata().caused_by(envelope, SYSTEM_ACTOR)
        for case_id, loaded, events in (
            (dup_id, duplicate, dup_events),
            (into_id, survivor, into_events),
        ):
            if events:
                await uow.cases.append(
                    case_id, loaded.version, events, meta.model_copy(update={"case_id": case_id})
                )
        await uow.commit()
    if dup_events:
        log.info("duplicate_merged", merged_into=str(into_id))
