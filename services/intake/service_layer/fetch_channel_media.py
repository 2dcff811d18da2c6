"""Use case: fetch a media file a citizen sent by reference (WhatsApp), outside the
request that received the webhook.

One try of one due attachment: claim it (counted, leased) and commit; fetch from the
provider with no transaction open; then, with the message's row locked, keep the bytes
(checked by content, size and checksum: `domain/attachments.py`) or record the failure
with its reason and the next try. When the fetch is over (kept, or failed for good) and
the message already has its case, the case hears of it (`announce_case_attachments`).
Nothing is dropped: a file that cannot be fetched stays on record as `failed`, with why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from services.intake.adapters import attachments as rows
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.adapters.whatsapp_media import FetchedMedia, MediaFetchError
from services.intake.domain.attachments import (
    CheckedMedia,
    MediaRefused,
    check_media,
    is_final,
    next_attempt_delay,
)
from services.intake.service_layer.announce_case_attachments import announce_case_attachments
from services.intake.service_layer.receive_inbound import ADAPTER_ACTOR
from shared.eventstore.store import ConcurrencyError
from shared.logging import bind_context, get_logger

log = get_logger(__name__)
LEASE = timedelta(minutes=2)


class MediaSource(Protocol):
    async def fetch(self, media_id: str) -> FetchedMedia: ...


async def fetch_next_media(
    new_uow: Callable[[], IntakeUnitOfWork],
    media: MediaSource,
    *,
    max_bytes: int,
    lease: timedelta = LEASE,
) -> bool:
    """Try one due media fetch; False when nothing is due."""
    async with new_uow() as uow:
        due = await rows.claim_due(uow.conn, lease)
        await uow.commit()
    if due is None:
        return False
    bind_context(inbound_id=str(due.inbound_id), attachment_id=str(due.attachment_id))
    outcome: CheckedMedia | MediaRefused
    if due.channel != "whatsapp" or not due.media_id:
        outcome = MediaRefused("no_fetcher", f"No way to fetch media of {due.channel}.")
    else:
        try:
            fetched = await media.fetch(due.media_id)
        except MediaFetchError as exc:
            outcome = MediaRefused(exc.reason, exc.message)
        else:
            outcome = check_media(
                fetched.content,
                declared_type=fetched.mime_type or due.content_type,
                declared_sha256=fetched.sha256 or due.declared_sha256,
                max_bytes=max_bytes,
            )
    for attempt in range(3):  # the case's stream may move under the announcement
        try:
            await _record(new_uow, due, outcome)
            break
        except ConcurrencyError:
            if attempt == 2:
                raise
    return True


async def _record(
    new_uow: Callable[[], IntakeUnitOfWork], due: rows.DueFetch, outcome: object
) -> None:
    async with new_uow() as uow:
        conn = uow.conn
        message = await rows.lock_message_case(conn, due.inbound_id)
        if isinstance(outcome, CheckedMedia):
            await rows.store_fetched(
                conn,
                due.attachment_id,
                inbound_id=due.inbound_id,
                content=outcome.content,
                media_type=outcome.media_type,
                sha256=outcome.sha256,
            )
            over = True
            log.info("media_fetched", size=outcome.size, media_type=outcome.media_type)
        else:
            assert isinstance(outcome, MediaRefused)
            over = is_final(outcome.code, due.attempts)
            await rows.record_failure(
                conn,
                due.attachment_id,
                reason=outcome.code,
                message=outcome.message,
                final=over,
                retry_in=next_attempt_delay(due.attempts),
            )
            log.warning(
                "media_fetch_failed",
                reason=outcome.code,
                attempts=due.attempts,
                final=over,
                case_id=str(message.case_id) if message.case_id else None,
            )
        if over and message.case_id is not None and message.correlation_id is not None:
            await announce_case_attachments(
                uow,
                inbound_id=due.inbound_id,
                case_id=message.case_id,
                office=message.office,
                correlation_id=message.correlation_id,
                actor=ADAPTER_ACTOR,
            )
        await uow.commit()
