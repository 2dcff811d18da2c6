"""Outside channel adapters over Kafka: one `AdapterMessage` (v1, topic
`slrt.intake.adapters`, `shared/contracts/adapters.py`) read into the `Received` item every
other door produces.

What cannot be accepted raises `AdapterMessageUnreadable` with a domain reason and the
claims that could still be read (channel, office, external id), so the message is kept as
rejected where the office it names can see it:

- `schema_invalid`: not JSON, or not the schema (`details.errors`: field paths, never the
  input, which may be personal data);
- `unknown_channel`: a channel SLRT does not know (and nothing else wrong: a missing channel,
  or more wrong besides, is `schema_invalid` with every error);
- `unsupported_schema_version`: a `schema_version` this intake does not read;
- `unknown_office`: no such office in the catalogue;
- `attachment_checksum_mismatch`: inline content whose SHA-256 is not the one declared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from typing import Any

import orjson
from pydantic import ValidationError

from services.intake.adapters.channels.base import Attachment, PayloadUnreadable, Received
from services.intake.domain.inbound import AttachmentRef, InboundPayload, Sender
from services.intake.domain.registration import schema_errors
from shared.contracts.adapters import ADAPTER_SCHEMA_VERSION, AdapterMessage
from shared.contracts.vocab import Channel

SOURCE = "kafka-adapter"
_CHANNELS = frozenset(c.value for c in Channel)


class AdapterMessageUnreadable(PayloadUnreadable):
    """An adapter message intake will not take, with what could be read of it."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        channel: Channel | None = None,
        office: str | None = None,
        external_id: str | None = None,
    ) -> None:
        super().__init__(code, message, details)
        self.channel = channel
        self.office = office
        self.external_id = external_id


def _claims(data: Any, offices: Container[str]) -> dict[str, Any]:
    """What a refused message still says about itself, where it is well-formed."""
    if not isinstance(data, dict):
        return {}
    claims: dict[str, Any] = {}
    if isinstance(data.get("channel"), str) and data["channel"] in _CHANNELS:
        claims["channel"] = Channel(data["channel"])
    if isinstance(data.get("office"), str) and data["office"] in offices:
        claims["office"] = data["office"]
    if isinstance(data.get("external_id"), str) and 0 < len(data["external_id"]) <= 200:
        claims["external_id"] = data["external_id"]
    return claims


def _path(loc: list[str]) -> str:
    return ".".join(loc) or "(message)"


def read_adapter_message(raw: bytes, offices: Container[str]) -> Received:
    """The message as the item a door hands `receive_inbound`, or the reason it is not."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise AdapterMessageUnreadable(
            "schema_invalid",
            "The record value is not JSON (an AdapterMessage v1 is a JSON object).",
            {"errors": [{"loc": [], "type": "json_invalid", "msg": "Invalid JSON"}]},
        ) from None
    claims = _claims(data, offices)
    if isinstance(data, dict) and data.get("schema_version") not in (None, ADAPTER_SCHEMA_VERSION):
        raise AdapterMessageUnreadable(
            "unsupported_schema_version",
            f"schema_version {data.get('schema_version')!r} is not read here "
            f"(this intake reads {ADAPTER_SCHEMA_VERSION}).",
            {"schema_version": str(data.get("schema_version"))[:20]},
            **claims,
        )
    try:
        msg = AdapterMessage.model_validate(data)
    except ValidationError as exc:
        errors = schema_errors(exc)
        # A channel it named that SLRT does not know, and nothing else wrong: say so. A
        # missing channel, or more wrong than the channel, is the schema (every error).
        if errors and all(e["loc"] == ["channel"] and e["type"] != "missing" for e in errors):
            raise AdapterMessageUnreadable(
                "unknown_channel",
                f"channel must be one of: {', '.join(c.value for c in Channel)}.",
                {"errors": [e for e in errors if e["loc"] == ["channel"]]},
                **claims,
            ) from None
        paths = ", ".join(f"{_path(e['loc'])} ({e['type']})" for e in errors[:5])
        raise AdapterMessageUnreadable(
            "schema_invalid",
            f"Not an AdapterMessage v1: {paths}.",
            {"errors": errors},
            **claims,
        ) from None
    claims = {"channel": msg.channel, "external_id": msg.external_id}
    if msg.office not in offices:
        raise AdapterMessageUnreadable(
            "unknown_office",
            f"There is no office {msg.office[:64]!r} in the catalogue.",
            {"errors": [{"loc": ["office"], "type": "unknown_office", "msg": "Unknown office"}]},
            **claims,
        )
    claims["office"] = msg.office
    inline: list[tuple[Attachment, AttachmentRef]] = []
    referenced: list[AttachmentRef] = []
    for n, att in enumerate(msg.attachments):
        try:
            content = att.content()
        except ValueError:
            raise AdapterMessageUnreadable(
                "schema_invalid",
                f"Not an AdapterMessage v1: attachments.{n}.content_base64 (base64).",
                {
                    "errors": [
                        {
                            "loc": ["attachments", str(n), "content_base64"],
                            "type": "base64",
                            "msg": "Not valid base64",
                        }
                    ]
                },
                **claims,
            ) from None
        if content is None:
            referenced.append(
                AttachmentRef(
                    id=att.sha256[:16],
                    file_name=att.file_name,
                    content_type=att.content_type,
                    size_bytes=att.size_bytes or 0,
                    sha256=att.sha256,
                    url=att.url,
                )
            )
            continue
        actual = hashlib.sha256(content).hexdigest()
        if actual != att.sha256:
            raise AdapterMessageUnreadable(
                "attachment_checksum_mismatch",
                f"attachments.{n}: the SHA-256 of the content is not the one declared.",
                {"path": f"attachments.{n}", "declared": att.sha256, "actual": actual},
                **claims,
            )
        inline.append(
            (
                Attachment(att.file_name, att.content_type, content),
                AttachmentRef(
                    id=actual[:16],
                    file_name=att.file_name,
                    content_type=att.content_type,
                    size_bytes=len(content),
                    sha256=actual,
                ),
            )
        )
    sender = msg.sender
    anonymous = msg.anonymous
    return Received(
        channel=msg.channel,
        external_id=msg.external_id,
        received_at=msg.received_at,
        payload=InboundPayload(
            office=msg.office,
            sender=Sender()
            if anonymous
            else Sender(
                name=sender.name, phone=sender.phone, email=sender.email, handle=sender.handle
            ),
            text=msg.text,
            anonymous=anonymous,
            confidential=msg.confidential,
            # Files with their bytes first: `receive_inbound` keeps those in this order.
            attachments=(*(ref for _, ref in inline), *referenced),
            extra={"adapter_schema_version": msg.schema_version},
        ),
        attachments=tuple(a for a, _ in inline),
    )
