"""Delivery statuses in a WhatsApp Cloud API webhook (`entry[].changes[].value.statuses`):
what became of a message the office sent (sent, delivered, read, failed).

Only the provider's message id, the status, its time and the error codes are read; the
recipient's number in the status (`recipient_id`) is not kept beyond the raw delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from services.intake.adapters.channels.base import from_unix

Status = Literal["sent", "delivered", "read", "failed"]
_STATUSES: tuple[Status, ...] = ("sent", "delivered", "read", "failed")


@dataclass(frozen=True)
class DeliveryStatus:
    provider_message_id: str
    status: Status
    reported_at: datetime
    errors: tuple[str, ...] = ()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_whatsapp_statuses(body: bytes) -> list[DeliveryStatus]:
    """The statuses in a WhatsApp webhook; anything unreadable is left out (the raw
    delivery is kept by the door all the same)."""
    try:
        data = _dict(orjson.loads(body))
    except orjson.JSONDecodeError:
        return []
    found: list[DeliveryStatus] = []
    for entry in map(_dict, _list(data.get("entry"))):
        for change in map(_dict, _list(entry.get("changes"))):
            for item in map(_dict, _list(_dict(change.get("value")).get("statuses"))):
                status, wamid = item.get("status"), item.get("id")
                if status not in _STATUSES or not isinstance(wamid, str) or not wamid:
                    continue
                errors = tuple(
                    f"{e.get('code')} {e.get('title') or e.get('message') or ''}".strip()
                    for e in map(_dict, _list(item.get("errors")))
                )
                found.append(
                    DeliveryStatus(wamid[:300], status, from_unix(item.get("timestamp")), errors)
                )
    return found
