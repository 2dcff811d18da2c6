"""The step every way in shares: a valid request becomes a case, in the caller's unit of
work. The staff API (`register_request`), a channel message
(`when_inbound_received_route`) and a classified triage item
(`classify_triaged_message`) all register through it, so a case is the same case
whichever door it came in by; the group commit is its batched twin (`group_commit.py`),
built from the same parts (`domain/new_case.py`, `adapters/repository.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.intake.adapters import repository as repo
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.commands import RegisterRequest
from services.intake.domain.new_case import NewCase, refuse_if_other_office, resent_decision
from services.intake.domain.registration import ValidRequest
from services.intake.service_layer.issue_check_code import keep_check_codes, sealed_check_code
from shared.contracts.base import Event
from shared.logging import bind_context


@dataclass(frozen=True)
class Registered:
    inbound_id: UUID
    case_id: UUID
    ticket_number: str
    duplicate: bool  # a redelivery: the case registered the first time
    # The citizen's check code, in clear this once (the desk receipt); None on a redelivery.
    check_code: str | None = None


Keep = Callable[..., Awaitable[None]]


async def register_valid_request(
    uow: IntakeUnitOfWork,
    valid: ValidRequest,
    cmd: RegisterRequest,
    *,
    inbound_id: UUID,
    actor: str,
    correlation_id: UUID,
    claims: dict[str, Any],
    handle: str | None = None,
    message_ref: str | None = None,
    extra_events: tuple[Event, ...] = (),
    keep: Keep | None = None,
) -> Registered:
    """In the caller's unit of work: de-duplicate by channel id, recognise the citizen,
    take a ticket, append `ComplaintRegistered` (and `DuplicateSuspected` when an open case
    looks the same, `domain/duplicates.py`), and mark the inbound message accepted.

    `keep` writes the inbound row with its decision (the staff API keeps the raw message
    in this same transaction); without it the row exists already and is updated."""
    conn = uow.conn

    async def decided(**decision: Any) -> None:
        if keep is not None:
            await keep(conn, **decision)
        else:
            await repo.mark_inbound(conn, inbound_id, **claims, **decision)

    if cmd.external_id is not None:
        key = (valid.channel.value, cmd.external_id)
        existing = (await repo.find_by_external_ids(conn, [key])).get(key)
        if existing is not None:
            refuse_if_other_office(existing.office, valid, cmd.external_id)
            bind_context(case_id=str(existing.case_id), correlation_id=str(correlation_id))
            await decided(**resent_decision(existing.case_id))
            return Registered(inbound_id, existing.case_id, existing.ticket_number, True)

    new = NewCase.prepare(valid, cmd, handle)
    bind_context(case_id=str(new.case_id), correlation_id=str(correlation_id))
    # The citizen, a likely duplicate and the ticket number in one round trip (the
    # duplicate rule's fast path: `intake.identify`).
    written = new.identified(await repo.identify_and_number(conn, new.to_identify()))
    await uow.events.append(
        written.stream_id,
        0,
        written.events(extra_events, check_code_sealed=sealed_check_code(written)),
        written.meta(actor=actor, correlation_id=correlation_id),
    )
    await decided(status="accepted", case_id=new.case_id)
    await repo.add_registration(conn, written, inbound_id)
    await keep_check_codes(conn, [written])
    if written.duplicate is not None:
        await repo.add_duplicate(conn, written)
    if message_ref:
        await repo.add_thread_ref(conn, message_ref, new.case_id)
    return Registered(
        inbound_id, new.case_id, written.ticket_number, False, check_code=new.check_code
    )
