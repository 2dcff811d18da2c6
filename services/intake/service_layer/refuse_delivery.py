"""Use case: a delivery refused before it is read (a forged signature, a body that is not
the channel's format) is still kept, as rejected with the reason, and logged; it is never
registered. It carries the office the door was addressed to (`/v1/channels/whatsapp/
{office}`) when the door names one, so that office's front office sees it in
`GET /v1/inbound?status=rejected`, not only an administrator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.adapters.channels.base import Delivery
from shared.contracts.vocab import Channel
from shared.logging import get_logger

log = get_logger(__name__)
MAX_KEPT_BYTES = 1024 * 1024


async def refuse_delivery(
    pool: asyncpg.Pool,
    delivery: Delivery,
    *,
    channel: Channel | None,
    reason: str,
    message: str,
    office: str | None = None,
    external_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> UUID:
    """Keep the refused delivery (its first MiB; `body_truncated` when it was longer, or
    cut already at the door: `delivery.truncated`); return its inbound id for the answer.

    `office` only when it is an office of the catalogue (the door checked it)."""
    inbound_id = uuid4()
    async with pool.acquire() as conn:
        await repo.record_inbound(
            conn,
            inbound_id=inbound_id,
            received_at=datetime.now(UTC),
            source=delivery.source,
            content_type=delivery.content_type,
            headers=delivery.headers,
            body=delivery.body[:MAX_KEPT_BYTES],
            body_truncated=delivery.truncated or len(delivery.body) > MAX_KEPT_BYTES,
            entered_by=delivery.entered_by,
            entered_by_office=delivery.entered_by_office,
            correlation_id=delivery.correlation_id,
            status="rejected",
            reason=reason,
            message=message,
            details=details,
            channel=channel.value if channel else None,
            office=office,
            external_id=external_id,
        )
    log.warning(
        "inbound_refused",
        source=delivery.source,
        reason=reason,
        office=office,
        inbound_id=str(inbound_id),
        correlation_id=str(delivery.correlation_id),
    )
    return inbound_id
