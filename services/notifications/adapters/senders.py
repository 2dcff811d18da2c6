"""The `Sender` port: how a rendered message leaves the building.

Only `RecordingSender` exists for now: it records the message as sent (and keeps it in
memory for tests and the local stack). WhatsApp, e-mail and SMS senders implement the
same Protocol later and are passed to `bootstrap.create_app(sender=...)`.

Contract for a real sender: return `SendResult(ok=False, error=...)` when the provider
refuses the message for good (the message is kept as `failed`); *raise* on trouble that
may pass (network, provider down): the consumer retries, then dead-letters the event.
Use `notification_id` as the provider's idempotency key: delivery to us is at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from shared.contracts.vocab import Channel
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: UUID
    case_id: UUID
    channel: Channel
    address: str  # personal data: never logged
    template: str
    body: str


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None


class Sender(Protocol):
    async def send(self, message: OutgoingMessage) -> SendResult: ...


class RecordingSender:
    """Records every message as sent; delivers nothing."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.sent.append(message)
        log.info(
            "notification_recorded_as_sent",
            notification_id=str(message.notification_id),
            channel=message.channel.value,
            template=message.template,
        )
        return SendResult(ok=True)
