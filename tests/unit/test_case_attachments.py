"""Attachments as documents of the case: the pure rules (intake's media checks, retries
and announcements; documents' acceptance naming the attachment) and the WhatsApp media
client against a local server speaking the Graph API's media shapes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.documents.domain.checklist import (
    Checklist,
    ScannedFile,
    fold,
    receive_document,
    requirements_for,
)
from services.intake.adapters.whatsapp_media import MediaFetchError, WhatsAppMedia
from services.intake.domain.attachments import (
    MAX_FETCH_ATTEMPTS,
    CheckedMedia,
    KeptAttachment,
    MediaRefused,
    announcement,
    check_media,
    is_final,
    next_attempt_delay,
)
from shared.catalogue import load_catalogue
from shared.contracts.attachment_events import CaseAttachmentFetchFailed, CaseAttachmentReceived
from shared.contracts.events import DocumentReceived
from shared.contracts.vocab import Channel
from tests.fake_graph import PNG_1PX, FakeGraph, small_pdf

PNG_SHA = hashlib.sha256(PNG_1PX).hexdigest()


def test_media_are_judged_by_content_size_and_checksum() -> None:
    ok = check_media(PNG_1PX, declared_type="image/png", declared_sha256=PNG_SHA, max_bytes=1024)
    assert isinstance(ok, CheckedMedia)
    assert (ok.media_type, ok.sha256, ok.size) == ("image/png", PNG_SHA, len(PNG_1PX))
    # Meta's hash in base64 is taken too; an undeclared type is judged by the content.
    b64 = base64.b64encode(hashlib.sha256(PNG_1PX).digest()).decode()
    assert isinstance(
        check_media(PNG_1PX, declared_type=None, declared_sha256=b64, max_bytes=1024),
        CheckedMedia,
    )

    def refused(content: bytes, **kw: object) -> str:
        args: dict[str, object] = {"declared_type": None, "declared_sha256": None}
        args.update(kw)
        out = check_media(content, max_bytes=1024, **args)  # type: ignore[arg-type]
        assert isinstance(out, MediaRefused)
        return out.code

    assert refused(PNG_1PX * 20) == "file_too_large"
    assert refused(b"") == "file_empty"
    assert refused(b"just some text, not a file") == "unsupported_file_type"
    assert refused(PNG_1PX, declared_type="image/jpeg") == "file_type_mismatch"
    assert refused(PNG_1PX, declared_sha256="0" * 64) == "checksum_mismatch"


def test_only_an_unavailable_provider_is_tried_again_and_not_forever() -> None:
    assert next_attempt_delay(1) == timedelta(seconds=2)
    assert next_attempt_delay(2) == timedelta(seconds=8)
    assert next_attempt_delay(50) == timedelta(minutes=30)
    assert not is_final("provider_unavailable", 1)
    assert is_final("provider_unavailable", MAX_FETCH_ATTEMPTS)
    for reason in ("media_not_found", "file_too_large", "not_configured", "provider_refused"):
        assert is_final(reason, 1)


def _kept(status: str, **kw: object) -> KeptAttachment:
    base: dict[str, object] = {
        "attachment_id": uuid4(),
        "inbound_id": uuid4(),
        "channel": Channel.WHATSAPP,
        "file_name": "image-1.png",
        "media_type": "image/png",
        "size_bytes": len(PNG_1PX),
        "sha256": PNG_SHA,
        "status": status,
        "failure_reason": None,
        "failure_message": None,
        "attempts": 1,
        "received_at": datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
    }
    base.update(kw)
    return KeptAttachment(**base)  # type: ignore[arg-type]


def test_a_kept_file_and_a_failed_fetch_are_announced_on_the_case() -> None:
    case_id = uuid4()
    kept = _kept("stored")
    received = announcement(case_id, kept)
    assert isinstance(received, CaseAttachmentReceived)
    assert received.sha256 == PNG_SHA
    assert received.content_path == f"/v1/attachments/{kept.attachment_id}"
    failed = announcement(
        case_id, _kept("failed", sha256=None, failure_reason="media_not_found", attempts=1)
    )
    assert isinstance(failed, CaseAttachmentFetchFailed)
    assert failed.reason == "media_not_found"


def test_accepting_an_attachment_names_it_in_document_received() -> None:
    variant = load_catalogue().service("mataram", "sembako-complaint").variant("lost-card")
    checklist = Checklist(
        case_id=uuid4(), variant="lost-card", required=requirements_for(variant.required_documents)
    )
    attachment_id = uuid4()
    scan = ScannedFile(uuid4(), "a" * 64, "application/pdf", 1234)
    events = receive_document(
        checklist,
        document_type="police_loss_report",
        form="original",
        checked_by="staff:fo",
        file=scan,
        attachment_id=attachment_id,
    )
    (event,) = events
    assert isinstance(event, DocumentReceived)
    assert event.attachment_id == attachment_id
    assert event.file_sha256 == "a" * 64
    after = fold(checklist, events)
    assert "police_loss_report" not in after.missing
    # The same file again for the same item: nothing new.
    assert (
        receive_document(
            after,
            document_type="police_loss_report",
            form="original",
            checked_by="staff:fo",
            file=scan,
            attachment_id=attachment_id,
        )
        == []
    )


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    g = FakeGraph().start()
    try:
        yield g
    finally:
        g.stop()


async def test_the_media_client_speaks_the_graph_api(graph: FakeGraph) -> None:
    graph.add("m1", PNG_1PX, "image/png")
    graph.add("big", small_pdf() * 3, "application/pdf")
    graph.fail_first("m-down", 503)
    client = WhatsAppMedia(graph.api_base, graph.token, max_bytes=2048)
    try:
        got = await client.fetch("m1")
        assert (got.content, got.mime_type, got.sha256) == (PNG_1PX, "image/png", PNG_SHA)
        assert [p.split("?")[0] for p, _ in graph.requests] == ["/v21.0/m1", "/download/m1"]

        async def reason(c: WhatsAppMedia, media_id: str) -> str:
            with pytest.raises(MediaFetchError) as caught:
                await c.fetch(media_id)
            return caught.value.reason

        assert await reason(client, "nope") == "media_not_found"
        assert await reason(client, "m-down") == "provider_unavailable"
        assert await reason(client, "big") == "file_too_large"
        wrong = WhatsAppMedia(graph.api_base, "not-the-token", max_bytes=2048)
        assert await reason(wrong, "m1") == "provider_refused"
        await wrong.close()
        unset = WhatsAppMedia(graph.api_base, "", max_bytes=2048)
        assert await reason(unset, "m1") == "not_configured"
        await unset.close()
        gone = WhatsAppMedia("http://127.0.0.1:9/v21.0", graph.token, max_bytes=2048)
        assert await reason(gone, "m1") == "provider_unavailable"
        await gone.close()
    finally:
        await client.close()
