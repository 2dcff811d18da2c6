"""The `Sender` port: how a rendered message leaves the building.

One sender per channel and office (`adapters/channel_senders.py` builds them from the
channel accounts in the settings): e-mail over SMTP (`email_sender.py`), WhatsApp Cloud
API, Messenger (Facebook, Instagram), X direct messages and the SP4N-LAPOR! follow-up
(`http_senders.py`). Telephone, walk-in and post have no sender: their messages are staff
tasks. `RecordingSender` records and delivers nothing (unit tests of wording only).

Contract: `send` never raises for the provider's trouble; it returns a `SendResult`:
accepted (with the provider's message id), refused for good (a 4xx, a permanent SMTP
reply: the message fails with that reason), or transient (network, timeout, 5xx, 429
with `Retry-After`: the delivery worker tries again later). Each sender passes the
notification id as the provider's idempotency key where the provider has one.
"""

from __future__ import annotations

from typing import Protocol

from services.notifications.domain.outgoing import OutgoingMessage, SendResult
from shared.contracts.vocab import Channel
from shared.logging import get_logger

__all__ = ["OutgoingMessage", "RecordingSender", "SendResult", "Sender", "SenderRegistry"]

log = get_logger(__name__)


class Sender(Protocol):
    async def send(self, message: OutgoingMessage) -> SendResult: ...


class SenderRegistry(Protocol):
    def sender_for(self, office: str, channel: Channel) -> Sender | None:
        """The sender of that office's channel; None: not configured."""
        ...

    def live(self) -> dict[str, list[str]]:
        """Which channels are live, per office (logged at start-up)."""
        ...

    async def close(self) -> None: ...


class OneSender:
    """Every office and channel through one sender (tests of wording, the bench)."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    def sender_for(self, office: str, channel: Channel) -> Sender | None:
        return self.sender

    def live(self) -> dict[str, list[str]]:
        return {"*": ["*"]}

    async def close(self) -> None:
        return None


class RecordingSender:
    """Records every message as accepted; delivers nothing. Never wired in a running
    service unless a test hands it to `create_app(sender=...)`."""

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
        return SendResult(ok=True, how="recorded")
