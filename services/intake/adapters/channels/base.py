"""What every channel adapter produces, and how it proves a message came from the channel.

An adapter reads its channel's own format (a WhatsApp webhook, a MIME e-mail, a LAPOR!
report, a typed-in letter) into `Received` items: the channel's own id, when it was
received, and an `InboundPayload`. Intake's service layer keeps the raw bytes and
publishes each item as `InboundReceived`; intake's consumer alone decides what becomes a
case. Adapters never refuse a message for being unclear: that is triage's job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.intake.domain.inbound import InboundPayload
from shared.contracts.vocab import Channel


class PayloadUnreadable(Exception):
    """The delivery is not in the channel's format; `code` is machine-readable, `details`
    says where (field paths, never the input itself)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}


@dataclass(frozen=True)
class Delivery:
    """One delivery from a channel, exactly as it arrived (one HTTP body, one e-mail)."""

    source: str  # e.g. whatsapp-cloud-api, smtp, sp4n-lapor, website-form
    body: bytes
    content_type: str | None
    headers: dict[str, str]
    correlation_id: UUID
    entered_by: str | None = None  # the staff member who typed it in, if any
    entered_by_office: str | None = None
    truncated: bool = False  # `body` is only the first bytes of what came (a refused one)


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message, with its bytes."""

    file_name: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Received:
    """One message read from a delivery (a webhook may carry several)."""

    channel: Channel
    external_id: str | None
    received_at: datetime
    payload: InboundPayload
    attachments: tuple[Attachment, ...] = field(default=())


def from_unix(value: str | int | float | None, *, millis: bool = False) -> datetime:
    """A channel's epoch timestamp as an aware datetime (now when absent or unreadable)."""
    try:
        seconds = float(value) / (1000 if millis else 1)  # type: ignore[arg-type]
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def hmac_sha256_hex_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Meta (X-Hub-Signature-256) and LAPOR!: `sha256=<hex HMAC of the body>`."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def hmac_sha256_b64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def hmac_sha256_b64_valid(secret: str, body: bytes, header: str | None) -> bool:
    """X (Twitter) Account Activity: `sha256=<base64 HMAC of the body>`."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(hmac_sha256_b64(secret, body), header.removeprefix("sha256="))
