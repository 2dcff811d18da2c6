"""The public inbound topic for outside channel adapters: `slrt.intake.adapters`.

A channel adapter that runs outside SLRT (a WhatsApp Business Solution Provider's bridge,
a Telegram or SMS gateway, a call-centre system) publishes one `AdapterMessage` per
message a citizen sent. Unlike every other topic, what travels here is *not* an
`EventEnvelope` of the event store: it is the adapter's plain, versioned message, and intake
treats it exactly as if one of its own HTTP doors had received it (kept raw, de-duplicated
by channel and external id, normalised, registered or triaged).

Kafka record: value = this model as JSON (UTF-8); key = the external id (recommended:
one conversation stays on one partition); headers `event_id` (a UUID the adapter gives
each record) and `correlation_id` (a UUID to follow the message through the logs).
A message intake cannot accept is kept as rejected with a domain reason and copied to
`slrt.intake.dead-letter` with its original key and headers plus `reason`.

Versioning: `schema_version` is required; a change that is not backwards compatible gets
a new version number (and intake keeps reading the old one for as long as adapters send it).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.vocab import Channel

ADAPTERS_TOPIC = "slrt.intake.adapters"
ADAPTER_SCHEMA_VERSION = 1
MAX_INLINE_BYTES = 10 * 1024 * 1024


class AdapterSender(BaseModel):
    """Who wrote, as far as the channel says (all optional). Personal data (UU 27/2022)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(
        default=None, max_length=200, description="The display name the channel shows."
    )
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="Phone number, any usual Indonesian or E.164 form.",
        examples=["+6281200000001"],
    )
    email: str | None = Field(default=None, max_length=254, description="E-mail address.")
    handle: str | None = Field(
        default=None,
        max_length=200,
        description="The sender's id on the platform (page-scoped id, user id, chat id).",
    )


class AdapterAttachment(BaseModel):
    """A file that came with the message: by URL (fetched later) or inline (base64).

    Exactly one of `url` and `content_base64`; `sha256` is the checksum of the file's bytes
    (lowercase hex). Inline content is checked against it on arrival."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_name: str = Field(min_length=1, max_length=200, examples=["ktp.jpg"])
    content_type: str = Field(
        min_length=1, max_length=200, description="MIME type.", examples=["image/jpeg"]
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file's bytes, lowercase hex."
    )
    size_bytes: int | None = Field(default=None, ge=0, description="Size, when known.")
    url: str | None = Field(
        default=None,
        max_length=2000,
        description="Where the file can be fetched (the provider's media endpoint).",
    )
    content_base64: str | None = Field(
        default=None,
        max_length=MAX_INLINE_BYTES * 4 // 3 + 4,
        description="The file itself, base64 (at most 10 MiB decoded).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> AdapterAttachment:
        if (self.url is None) == (self.content_base64 is None):
            raise ValueError("exactly one of url and content_base64")
        return self

    def content(self) -> bytes | None:
        """The inline bytes (None for a URL); a ValueError if not base64."""
        if self.content_base64 is None:
            return None
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"content_base64 is not base64: {exc}") from None


class AdapterMessage(BaseModel):
    """One message a citizen sent on a channel, as an outside adapter publishes it (v1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = Field(
        description="The version of this schema; required, so a later version is never "
        "mistaken for this one."
    )
    channel: Channel = Field(description="The door it came through.", examples=["whatsapp"])
    office: str = Field(
        min_length=1,
        max_length=64,
        description="The office whose account received it (an office id of the catalogue).",
        examples=["kupang"],
    )
    external_id: str = Field(
        min_length=1,
        max_length=200,
        description="The channel's own id of the message: a redelivery with the same "
        "channel and external id never makes a second case.",
        examples=["wamid.HBgLNjI4MTIwMDAwMDAwMRUCABIYFjNFQjA"],
    )
    received_at: AwareDatetime = Field(
        description="When the channel received it (with its time zone)."
    )
    sender: AdapterSender = Field(default_factory=AdapterSender)
    text: str = Field(default="", max_length=10_000, description="What the citizen wrote.")
    attachments: tuple[AdapterAttachment, ...] = Field(default=(), max_length=20)
    raw: dict[str, Any] = Field(
        default_factory=dict,
        description="The channel's own payload for this message, kept as it came.",
    )
    anonymous: bool = Field(
        default=False,
        description="The citizen asked not to be known: no event carries their identity "
        "(the raw message is kept for an administrator only).",
    )
    confidential: bool = Field(
        default=False,
        description="The citizen asked that their identity be known to the complaint "
        "officer only (rahasia); other staff see it masked.",
    )
