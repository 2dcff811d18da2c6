"""The seam for channel adapters (e-mail, WhatsApp, SP4N-LAPOR, social media, web form).

Not built yet: today staff type requests in through `POST /v1/requests` (source
`staff_api`). When an adapter is added, it follows the same path as the staff API:

1. The adapter receives the channel's message (webhook, mailbox poll, LAPOR! API) and
   proves it came from the channel (`shared.auth.WebhookVerifier`: HMAC, token, ...).
2. It hands intake an `InboundMessage`: the raw bytes exactly as received, with the
   channel and the channel's own id. Intake stores it in `intake.inbound_messages`
   (with `source` = the adapter's name) *before* anything else, accepted or not.
3. The adapter's `normalise` turns those bytes into a `RegisterRequest`: free text goes
   in `description`, the office comes from the account/mailbox the message reached, the
   service and variant from the catalogue's classification rules where the citizen did
   not say. A message it cannot read raises `RequestRefused` with a code; the row keeps it.
4. From there the use case is the one the staff API runs: de-duplicate by
   (channel, external_id) — channels redeliver — take a ticket, append
   `ComplaintRegistered`.

Adapters that run as separate programs publish `InboundMessage`s on the topic
`slrt.intake.inbound` (key = channel + external id) instead of calling intake directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from services.intake.domain.commands import RegisterRequest
from shared.contracts.vocab import Channel


@dataclass(frozen=True)
class InboundMessage:
    """What a channel delivered, untouched."""

    channel: Channel
    external_id: str | None  # the channel's own id: e-mail Message-ID, LAPOR! ticket, wamid
    received_at: datetime
    body: bytes
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The office the message reached (which mailbox, WhatsApp number or LAPOR! unit).
    office: str | None = None


class ChannelAdapter(Protocol):
    """One channel's translator into intake's command."""

    channel: Channel
    source: str  # stored in inbound_messages.source, e.g. "whatsapp-cloud-api"

    def normalise(self, message: InboundMessage) -> RegisterRequest:
        """The request the message makes; raise RequestRefused if it cannot be read."""
        ...
