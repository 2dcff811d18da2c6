"""Use case: an outside channel adapter published a message on `slrt.intake.adapters`
(`shared/contracts/adapters.py`, `AdapterMessage` v1). It is treated exactly as if one of
intake's own doors had received it:

- kept byte for byte in `intake.inbound_messages` (source `kafka-adapter`, the Kafka key
  and headers kept with it), with its inline attachments and their SHA-256, and published
  as `InboundReceived` in the same transaction (`receive_inbound`);
- then routed by intake's own consumer like every door's message
  (`when_inbound_received_route.py`): a reply, a case (a redelivery with the same channel
  and external id finds the case of the first), or triage.

A message intake will not take is kept as `rejected` with its domain reason (visible in
`GET /v1/inbound?status=rejected` to the office it names, when that office exists) and
refused with `Refused`: the consumer then dead-letters it with its original key and
headers and that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import asyncpg

from services.intake.adapters.channels.base import Delivery
from services.intake.adapters.channels.outside import (
    SOURCE,
    AdapterMessageUnreadable,
    read_adapter_message,
)
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.service_layer.receive_inbound import receive_inbound
from services.intake.service_layer.refuse_delivery import refuse_delivery
from shared.catalogue import Catalogue
from shared.consumer import Origin
from shared.logging import bind_context, get_logger
from shared.refusal import Refused

log = get_logger(__name__)
MAX_KEPT_HEADERS = 20


def _delivery(raw: bytes, origin: Origin) -> Delivery:
    headers = {k[:100]: v.decode("utf-8", errors="replace")[:500] for k, v in origin.headers}
    headers = dict(list(headers.items())[:MAX_KEPT_HEADERS])
    if origin.key is not None:
        headers["kafka_key"] = origin.key.decode("utf-8", errors="replace")[:500]
    return Delivery(
        source=SOURCE,
        body=raw,
        content_type="application/json",
        headers=headers,
        correlation_id=origin.uuid_header("correlation_id") or uuid4(),
    )


async def receive_adapter_message(
    new_uow: Callable[[], IntakeUnitOfWork],
    pool: asyncpg.Pool,
    catalogue: Catalogue,
    raw: bytes,
    origin: Origin,
) -> UUID:
    """Keep and publish the message; return its inbound id. `Refused` (422) with the
    domain reason when it cannot be taken (it is kept as rejected first)."""
    delivery = _delivery(raw, origin)
    bind_context(correlation_id=str(delivery.correlation_id))
    try:
        item = read_adapter_message(raw, catalogue.offices)
    except AdapterMessageUnreadable as exc:
        inbound_id = await refuse_delivery(
            pool,
            delivery,
            channel=exc.channel,
            reason=exc.code,
            message=exc.message,
            office=exc.office,
            external_id=exc.external_id,
            details=exc.details,
        )
        raise Refused.invalid(
            exc.code, exc.message, {**exc.details, "inbound_id": str(inbound_id)}
        ) from None
    (inbound_id,) = await receive_inbound(new_uow, delivery, [item])
    log.info(
        "adapter_message_received",
        inbound_id=str(inbound_id),
        channel=item.channel.value,
        office=item.payload.office,
    )
    return inbound_id
