"""Meta's WhatsApp webhook as the tests send it to intake's door: the envelope around one
change of the `messages` field, its messages, and the signature header (HMAC-SHA256 of
the body with the app secret)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import orjson


def meta_headers(body: bytes, secret: str) -> dict[str, str]:
    """The headers of a webhook Meta signed with the app secret `secret`."""
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={sig}", "Content-Type": "application/json"}


def whatsapp_webhook(value: Mapping[str, Any], *, account: str = "WABA-1") -> bytes:
    """The body of a WhatsApp Business Account webhook with one change whose value is
    `value` (contacts, messages, statuses, metadata)."""
    return orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": account,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messaging_product": "whatsapp", **value},
                        }
                    ],
                }
            ],
        }
    )


def contact(name: str, phone: str) -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": phone}


def text_message(phone: str, wamid: str, text: str) -> dict[str, Any]:
    return {
        "from": phone,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }


def image_message(phone: str, wamid: str, media_id: str, mime: str, caption: str) -> dict[str, Any]:
    return {
        "from": phone,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "image",
        "image": {"id": media_id, "mime_type": mime, "caption": caption},
    }
