"""Policies: decisions casework takes by itself when a fact arrives. Never run by a rebuild.

Each runs in the consumer's transaction, after the fact itself was projected; the
consumer's processed_events makes a redelivery a no-op, and each decision folds the case
first, so a second LetterSigned, a repeated confirmation or a reply to a running case
produces nothing. A concurrent writer makes the append fail; the consumer retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

import asyncpg

from services.casework.domain import decisions
from services.casework.domain.decisions import (
    SYSTEM_ACTOR,
    CaseworkRefused,
    resolve_when_letter_signed,
)
from services.casework.domain.model import CaseState
from services.casework.service_layer.commands import case_stream, load_case
from services.casework.service_layer.projection import lock_case, project_appended
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.events import LetterSigned
from shared.contracts.intake_events import DuplicateConfirmed, ReplyReceived
from shared.eventstore.store import EventStore
from shared.logging import get_logger

log = get_logger(__name__)


async def _append(
    conn: asyncpg.Connection,
    store: EventStore,
    cause: EventEnvelope,
    case_id: UUID,
    version: int,
    new: Sequence[Event],
) -> None:
    if not new:
        return
    meta = cause.metadata().caused_by(cause, SYSTEM_ACTOR)
    meta = meta.model_copy(update={"case_id": case_id})
    appended = await store.append(conn, case_stream(case_id), version, list(new), meta)
    await project_appended(conn, appended)


async def _decide(
    conn: asyncpg.Connection,
    store: EventStore,
    cause: EventEnvelope,
    case_id: UUID,
    decide: Callable[[CaseState], Sequence[Event]],
) -> list[str]:
    await lock_case(conn, case_id)  # before reading the case; see lock_case
    state, version = await load_case(conn, case_id)
    new = decide(state)
    await _append(conn, store, cause, case_id, version, new)
    return [e.event_type for e in new]


async def when_letter_signed_resolve_case(
    conn: asyncpg.Connection, envelope: EventEnvelope, store: EventStore
) -> None:
    """A signed letter is the service delivered: resolve the case, once."""
    signed = envelope.payload()
    assert isinstance(signed, LetterSigned)
    done = await _decide(conn, store, envelope, signed.case_id, resolve_when_letter_signed)
    if done:
        log.info("case_resolved_by_policy", letter_number=signed.letter_number)
    else:
        log.info("case_already_resolved")


async def when_reply_received_resume_case(
    conn: asyncpg.Connection, envelope: EventEnvelope, store: EventStore
) -> None:
    """The citizen wrote again: a case waiting for the citizen runs again."""
    reply = envelope.payload()
    assert isinstance(reply, ReplyReceived)
    done = await _decide(conn, store, envelope, reply.case_id, decisions.resume_on_reply)
    log.info("reply_received", resumed=bool(done))


async def when_duplicate_confirmed_merge(
    conn: asyncpg.Connection, envelope: EventEnvelope, store: EventStore
) -> None:
    """Merge the confirmed duplicate into the open case (CaseMerged + DuplicateMerged).

    Both cases are locked in a fixed order (by id) so two merges cannot deadlock. A merge
    the lifecycle does not allow (the duplicate was already closed or forwarded) is not
    appended; the refusal is logged with its reason and the confirmation stays on the
    duplicate's timeline for staff to see.
    """
    confirmed = envelope.payload()
    assert isinstance(confirmed, DuplicateConfirmed)
    dup_id, into_id = confirmed.case_id, confirmed.duplicate_of
    for case_id in sorted((dup_id, into_id), key=str):
        await lock_case(conn, case_id)
    duplicate, dup_version = await load_case(conn, dup_id)
    survivor, into_version = await load_case(conn, into_id)
    try:
        dup_events, into_events = decisions.merge_duplicate(
            duplicate,
            survivor,
            by=f"staff:{confirmed.confirmed_by.removeprefix('staff:')}",
            reason="Dikonfirmasi sebagai permohonan ganda.",
        )
    except CaseworkRefused as refused:
        log.warning("merge_refused", code=refused.code, reason=refused.message, **refused.details)
        return
    await _append(conn, store, envelope, dup_id, dup_version, dup_events)
    await _append(conn, store, envelope, into_id, into_version, into_events)
    if dup_events:
        log.info("duplicate_merged", merged_into=str(into_id))
