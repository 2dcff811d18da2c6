"""Policies: decisions casework takes by itself when a fact arrives. Never run by a rebuild."""

from __future__ import annotations

import asyncpg

from services.casework.domain.decisions import SYSTEM_ACTOR, resolve_when_letter_signed
from services.casework.service_layer.commands import case_stream, load_case_stream
from services.casework.service_layer.projection import lock_case, project_appended
from shared.contracts.base import EventEnvelope
from shared.contracts.events import LetterSigned
from shared.eventstore.store import EventStore
from shared.logging import get_logger

log = get_logger(__name__)


async def when_letter_signed_resolve_case(
    conn: asyncpg.Connection, envelope: EventEnvelope, store: EventStore
) -> None:
    """A signed letter is the service delivered: resolve the case, once.

    The consumer's processed_events makes a redelivered LetterSigned a no-op; folding the
    case stream first also keeps a second signed letter (or a staff member who resolved
    the case already) from producing a second CaseResolved. A concurrent resolution makes
    the append fail; the consumer retries, and the retry sees the case resolved.
    """
    signed = envelope.payload()
    assert isinstance(signed, LetterSigned)
    await lock_case(conn, signed.case_id)  # before reading the stream; see lock_case
    state, version = await load_case_stream(conn, signed.case_id)
    new = resolve_when_letter_signed(state)
    if not new:
        log.info("case_already_resolved", outcome=state.outcome)
        return
    meta = envelope.metadata().caused_by(envelope, SYSTEM_ACTOR)
    if meta.case_id is None:
        meta = meta.model_copy(update={"case_id": signed.case_id})
    appended = await store.append(conn, case_stream(signed.case_id), version, new, meta)
    await project_appended(conn, appended)
    log.info("case_resolved_by_policy", letter_number=signed.letter_number)
