"""An outside adapter's `AdapterMessage` v1 read into the item every door produces, and
each reason intake refuses one with (field paths, never the input)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from services.intake.adapters.channels.outside import (
    AdapterMessageUnreadable,
    read_adapter_message,
)
from services.intake.domain.inbound import classify
from shared.catalogue import load_catalogue
from shared.contracts.adapters import AdapterMessage
from shared.contracts.vocab import Channel

OFFICES = {"kupang", "lumajang", "mataram", "pariaman"}
PHOTO = b"\xff\xd8\xff synthetic"


def message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": 1,
        "channel": "whatsapp",
        "office": "kupang",
        "external_id": "wamid.UNIT1",
        "received_at": "2026-10-05T10:00:00+08:00",
        "sender": {"name": "Warga Uji", "phone": "+6281299990001"},
        "text": "Bantuan PKH saya belum cair sejak Agustus",
        "raw": {"type": "text"},
    }
    base.update(fields)
    return base


def inline(content: bytes, sha256: str | None = None) -> dict[str, Any]:
    return {
        "file_name": "kartu.jpg",
        "content_type": "image/jpeg",
        "sha256": sha256 or hashlib.sha256(content).hexdigest(),
        "content_base64": base64.b64encode(content).decode(),
    }


def refused(data: dict[str, Any] | bytes) -> AdapterMessageUnreadable:
    raw = data if isinstance(data, bytes) else orjson.dumps(data)
    with pytest.raises(AdapterMessageUnreadable) as caught:
        read_adapter_message(raw, OFFICES)
    return caught.value


def test_a_message_reads_as_the_item_a_door_hands_on() -> None:
    url_ref = {
        "file_name": "video.mp4",
        "content_type": "video/mp4",
        "sha256": "ab" * 32,
        "url": "https://media.example.invalid/1",
    }
    item = read_adapter_message(
        orjson.dumps(message(attachments=[url_ref, inline(PHOTO)])), OFFICES
    )
    assert (item.channel, item.external_id) == (Channel.WHATSAPP, "wamid.UNIT1")
    assert item.received_at == datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
    assert item.payload.office == "kupang" and item.payload.sender.phone == "+6281299990001"
    # Files with bytes first (kept in intake's table), references after.
    assert [a.file_name for a in item.payload.attachments] == ["kartu.jpg", "video.mp4"]
    assert [a.content for a in item.attachments] == [PHOTO]
    assert item.payload.attachments[0].size_bytes == len(PHOTO)
    assert item.payload.attachments[1].url == "https://media.example.invalid/1"
    # And it classifies like a WhatsApp webhook's message would.
    outcome = classify(item.payload, item.channel, load_catalogue(), external_id="wamid.UNIT1")
    assert type(outcome).__name__ == "Classified"


@pytest.mark.parametrize(
    ("data", "code", "path"),
    [
        (b"not json", "schema_invalid", []),
        (
            {k: v for k, v in message().items() if k != "received_at"},
            "schema_invalid",
            ["received_at"],
        ),
        (message(received_at="2026-10-05T10:00:00"), "schema_invalid", ["received_at"]),
        (message(sender={"phone": "1" * 40}), "schema_invalid", ["sender", "phone"]),
        (message(surprise=True), "schema_invalid", ["surprise"]),
        (message(channel="telegram"), "unknown_channel", ["channel"]),
        (message(office="atlantis"), "unknown_office", ["office"]),
    ],
)
def test_a_wrong_message_is_refused_with_a_domain_reason_and_the_field_path(
    data: dict[str, Any] | bytes, code: str, path: list[str]
) -> None:
    exc = refused(data)
    assert exc.code == code
    assert exc.details["errors"][0]["loc"] == path
    assert "1111111111" not in str(exc.details) + exc.message  # never the input


def test_a_missing_channel_is_the_schema_and_every_wrong_field_is_listed() -> None:
    """An adapter that forgot `channel` (and got another field wrong) hears about both: it
    is not told its channel is unknown."""
    data = {k: v for k, v in message(received_at="yesterday").items() if k != "channel"}
    exc = refused(data)
    assert exc.code == "schema_invalid"
    assert sorted(tuple(e["loc"]) for e in exc.details["errors"]) == [
        ("channel",),
        ("received_at",),
    ]
    exc = refused(message(channel="telegram", received_at="yesterday"))
    assert exc.code == "schema_invalid"
    assert {tuple(e["loc"]) for e in exc.details["errors"]} == {("channel",), ("received_at",)}


def test_what_a_refused_message_still_says_is_kept_when_well_formed() -> None:
    exc = refused(message(channel="telegram"))
    assert (exc.channel, exc.office, exc.external_id) == (None, "kupang", "wamid.UNIT1")
    exc = refused(message(office="atlantis"))
    assert (exc.channel, exc.office, exc.external_id) == (Channel.WHATSAPP, None, "wamid.UNIT1")


def test_a_later_schema_version_is_not_mistaken_for_this_one() -> None:
    exc = refused(message(schema_version=2))
    assert exc.code == "unsupported_schema_version" and exc.office == "kupang"


def test_inline_content_is_checked_against_its_checksum() -> None:
    exc = refused(message(attachments=[inline(PHOTO, sha256="00" * 32)]))
    assert exc.code == "attachment_checksum_mismatch"
    assert exc.details["path"] == "attachments.0"
    assert exc.details["actual"] == hashlib.sha256(PHOTO).hexdigest()
    bad = {**inline(PHOTO), "content_base64": "@@not base64@@"}
    exc = refused(message(attachments=[bad]))
    assert exc.code == "schema_invalid"
    assert exc.details["errors"][0]["loc"] == ["attachments", "0", "content_base64"]


def test_an_attachment_comes_by_url_or_inline_never_both_or_neither() -> None:
    both = {**inline(PHOTO), "url": "https://media.example.invalid/1"}
    neither = {k: v for k, v in inline(PHOTO).items() if k != "content_base64"}
    for att in (both, neither):
        exc = refused(message(attachments=[att]))
        assert exc.code == "schema_invalid"
        assert exc.details["errors"][0]["loc"] == ["attachments", "0"]


def test_the_schema_is_versioned_and_documented() -> None:
    schema = AdapterMessage.model_json_schema()
    assert "schema_version" in schema["required"]
    assert schema["properties"]["schema_version"]["const"] == 1
    assert all(
        "description" in schema["properties"][f]
        for f in ("channel", "office", "external_id", "received_at", "raw")
    )
