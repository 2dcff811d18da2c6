"""Webhooks of WhatsApp (Cloud API), Facebook, Instagram (Meta) and X (Twitter).

Only what a citizen wrote becomes an item: delivery receipts, the office's own messages
and reactions are acknowledged and ignored (there is nothing to register).
Formats: Meta's webhook objects `whatsapp_business_account`, `page` and `instagram`;
X's Account Activity API (`direct_message_events`, `tweet_create_events`).
"""

from __future__ import annotations

from typing import Any

import orjson

from services.intake.adapters.channels.base import PayloadUnreadable, Received, from_unix
from services.intake.domain.inbound import AttachmentRef, InboundPayload, Sender
from shared.contracts.vocab import Channel


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PayloadUnreadable("malformed_json", "The webhook body is not JSON.") from None
    if not isinstance(data, dict):
        raise PayloadUnreadable("unexpected_shape", "The webhook body is not a JSON object.")
    return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(value: Any) -> str | None:
    """A display name as the platform gives it (a number is a name too), at most 200
    characters: a citizen's message is never refused for a long profile name (the raw
    delivery keeps it whole)."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)[:200] or None


def parse_whatsapp(body: bytes, office: str) -> list[Received]:
    data = _json_object(body)
    if data.get("object") != "whatsapp_business_account":
        raise PayloadUnreadable("unexpected_shape", "Not a WhatsApp Business Account webhook.")
    items: list[Received] = []
    for entry in _list(data.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            value = _dict(_dict(change).get("value"))
            names = {
                str(c["wa_id"]): _name(_dict(c.get("profile")).get("name"))
                for c in map(_dict, _list(value.get("contacts")))
                if isinstance(c.get("wa_id"), str | int)
            }
            for msg in map(_dict, _list(value.get("messages"))):
                kind = msg.get("type")
                text = ""
                attachments: list[AttachmentRef] = []
                if kind == "text":
                    text = str(_dict(msg.get("text")).get("body", ""))
                elif kind in ("image", "document", "audio", "video"):
                    media = _dict(msg.get(kind))
                    text = str(media.get("caption", ""))
                    attachments.append(
                        AttachmentRef(
                            id=str(media.get("id", "")),
                            file_name=str(media.get("filename") or f"{kind}-{media.get('id')}"),
                            content_type=str(media.get("mime_type", "application/octet-stream")),
                            size_bytes=0,  # fetched from the Graph API by media id later
                            sha256=str(media.get("sha256", "")),
                        )
                    )
                elif kind == "interactive":
                    reply = _dict(msg.get("interactive"))
                    chosen = _dict(reply.get("button_reply")) or _dict(reply.get("list_reply"))
                    text = str(chosen.get("title", ""))
                else:
                    continue  # reactions, stickers, system messages: nothing to register
                sender = str(msg.get("from", ""))
                items.append(
                    Received(
                        channel=Channel.WHATSAPP,
                        external_id=str(msg["id"]) if msg.get("id") else None,
                        received_at=from_unix(msg.get("timestamp")),
                        payload=InboundPayload(
                            office=office,
                            sender=Sender(name=names.get(sender), phone=f"+{sender}"),
                            text=text[:10_000],
                            attachments=tuple(attachments),
                            extra={"wa_type": kind},
                        ),
                    )
                )
    return items


def parse_meta_page(body: bytes, office: str, channel: Channel) -> list[Received]:
    """Facebook page (object `page`) or Instagram (object `instagram`): messages, comments."""
    expected = "page" if channel == Channel.FACEBOOK else "instagram"
    data = _json_object(body)
    if data.get("object") != expected:
        raise PayloadUnreadable("unexpected_shape", f"Not a Meta `{expected}` webhook.")
    items: list[Received] = []
    for entry in map(_dict, _list(data.get("entry"))):
        page_id = str(entry.get("id", ""))
        for event in map(_dict, _list(entry.get("messaging"))):
            message = _dict(event.get("message"))
            sender_id = str(_dict(event.get("sender")).get("id", ""))
            if not message or message.get("is_echo") or sender_id == page_id:
                continue  # the office's own reply echoed back
            items.append(
                Received(
                    channel=channel,
                    external_id=str(message["mid"]) if message.get("mid") else None,
                    received_at=from_unix(event.get("timestamp"), millis=True),
                    payload=InboundPayload(
                        office=office,
                        sender=Sender(handle=sender_id),
                        text=str(message.get("text", ""))[:10_000],
                        extra={"kind": "message"},
                    ),
                )
            )
        for change in map(_dict, _list(entry.get("changes"))):
            value = _dict(change.get("value"))
            field = change.get("field")
            is_comment = (field == "feed" and value.get("item") == "comment") or field == "comments"
            if not is_comment:
                continue
            author = _dict(value.get("from"))
            if str(author.get("id", "")) == page_id:
                continue
            comment_id = value.get("comment_id") or value.get("id")
            items.append(
                Received(
                    channel=channel,
                    external_id=str(comment_id) if comment_id else None,
                    received_at=from_unix(value.get("created_time") or entry.get("time")),
                    payload=InboundPayload(
                        office=office,
                        sender=Sender(
                            name=_name(author.get("name") or author.get("username")),
                            handle=str(author.get("id", "")) or None,
                        ),
                        text=str(value.get("message") or value.get("text") or "")[:10_000],
                        extra={"kind": "comment", "post_id": value.get("post_id")},
                    ),
                )
            )
    return items


def parse_twitter(body: bytes, office: str) -> list[Received]:
    data = _json_object(body)
    own = str(data.get("for_user_id", ""))
    users = _dict(data.get("users"))
    items: list[Received] = []
    for event in map(_dict, _list(data.get("direct_message_events"))):
        create = _dict(event.get("message_create"))
        sender_id = str(create.get("sender_id", ""))
        if event.get("type") != "message_create" or sender_id == own:
            continue
        user = _dict(users.get(sender_id))
        items.append(
            Received(
                channel=Channel.TWITTER,
                external_id=f"dm:{event['id']}" if event.get("id") else None,
                received_at=from_unix(event.get("created_timestamp"), millis=True),
                payload=InboundPayload(
                    office=office,
                    sender=Sender(name=_name(user.get("name")), handle=sender_id or None),
                    text=str(_dict(create.get("message_data")).get("text", ""))[:10_000],
                    extra={"kind": "direct_message", "screen_name": user.get("screen_name")},
                ),
            )
        )
    for tweet in map(_dict, _list(data.get("tweet_create_events"))):
        user = _dict(tweet.get("user"))
        if str(user.get("id_str", "")) == own:
            continue
        items.append(
            Received(
                channel=Channel.TWITTER,
                external_id=f"tweet:{tweet['id_str']}" if tweet.get("id_str") else None,
                received_at=from_unix(tweet.get("timestamp_ms"), millis=True),
                payload=InboundPayload(
                    office=office,
                    sender=Sender(name=_name(user.get("name")), handle=_name(user.get("id_str"))),
                    text=str(tweet.get("text", ""))[:10_000],
                    extra={"kind": "mention", "screen_name": user.get("screen_name")},
                ),
            )
        )
    return items
