"""Files that came with a message, as documents of the case: pure rules.

- What a fetched channel media file must be (`check_media`): judged by its content
  (magic bytes, via `filetype`), not by the type the channel declared, within a size
  limit, with the checksum the channel gave (WhatsApp sends one) matching.
- When to try a failed fetch again (`next_attempt_delay`) and when to stop
  (`MAX_FETCH_ATTEMPTS`): a failure is then final, recorded with its reason, and staff see it.
- The facts announced on the case (`announcement`): `CaseAttachmentReceived` for a kept
  file, `CaseAttachmentFetchFailed` for one that could not be fetched.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import filetype

from shared.contracts.attachment_events import CaseAttachmentFetchFailed, CaseAttachmentReceived
from shared.contracts.base import Event
from shared.contracts.vocab import Channel

# What a citizen may send as media: scans and photos of documents, and voice notes / short
# videos (kept on the case; only PDF, JPEG and PNG can be accepted against a checklist).
MEDIA_TYPES: frozenset[str] = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "audio/ogg",
        "audio/mpeg",
        "video/mp4",
    }
)
DEFAULT_MEDIA_MAX_BYTES = 10 * 1024 * 1024
MAX_FETCH_ATTEMPTS = 5
# Why a fetch may succeed on a later try: the provider was down or slow, or answered 5xx/429.
RETRYABLE = frozenset({"provider_unavailable"})


def content_path(attachment_id: UUID) -> str:
    """Where intake serves an attachment's bytes to staff (named in the events)."""
    return f"/v1/attachments/{attachment_id}"


@dataclass(frozen=True)
class MediaRefused:
    """A fetched file that is not kept; `code` is machine-readable (final, no retry)."""

    code: str
    message: str


@dataclass(frozen=True)
class CheckedMedia:
    content: bytes
    media_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def _base(media_type: str | None) -> str:
    base = (media_type or "").split(";", 1)[0].strip().lower()
    return "image/jpeg" if base in {"image/jpg", "image/pjpeg"} else base


def check_media(
    content: bytes,
    *,
    declared_type: str | None,
    declared_sha256: str | None,
    max_bytes: int,
) -> CheckedMedia | MediaRefused:
    """Keep the file, or say why not."""
    if len(content) > max_bytes:
        return MediaRefused(
            "file_too_large", f"The file has {len(content)} bytes; at most {max_bytes} are kept."
        )
    if not content:
        return MediaRefused("file_empty", "The provider sent an empty file.")
    kind = filetype.guess(content)
    sniffed = kind.mime if kind is not None else None
    if sniffed not in MEDIA_TYPES:
        return MediaRefused(
            "unsupported_file_type",
            f"The content is {sniffed or 'not a recognised file type'}; kept are "
            + ", ".join(sorted(MEDIA_TYPES))
            + ".",
        )
    declared = _base(declared_type)
    if declared and declared != "application/octet-stream" and declared != sniffed:
        return MediaRefused(
            "file_type_mismatch", f"The channel said {declared} but the content is {sniffed}."
        )
    raw = hashlib.sha256(content).digest()
    digest = raw.hex()
    # Meta documents the hash without its encoding: hex or base64 are both taken.
    if declared_sha256 and declared_sha256.strip() not in (
        digest,
        digest.upper(),
        base64.b64encode(raw).decode(),
    ):
        return MediaRefused(
            "checksum_mismatch", "The bytes do not have the SHA-256 the channel announced."
        )
    return CheckedMedia(content=content, media_type=sniffed, sha256=digest)


def next_attempt_delay(attempts: int) -> timedelta:
    """After the n-th failed try: 2 s, 8 s, 32 s, 2 min, … (at most 30 minutes)."""
    return timedelta(seconds=min(2 * 4 ** max(attempts - 1, 0), 1800))


def is_final(reason: str, attempts: int) -> bool:
    """A failure that will not be tried again."""
    return reason not in RETRYABLE or attempts >= MAX_FETCH_ATTEMPTS


@dataclass(frozen=True)
class KeptAttachment:
    """An attachment row as the announcement needs it."""

    attachment_id: UUID
    inbound_id: UUID
    channel: Channel
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str | None
    status: str  # stored | failed (pending ones are not announced yet)
    failure_reason: str | None
    failure_message: str | None
    attempts: int
    received_at: datetime


def announcement(case_id: UUID, kept: KeptAttachment) -> Event:
    """The fact on the case for one attachment whose fate is known."""
    if kept.status == "stored" and kept.sha256:
        return CaseAttachmentReceived(
            case_id=case_id,
            attachment_id=kept.attachment_id,
            inbound_id=kept.inbound_id,
            channel=kept.channel,
            file_name=kept.file_name[:255],
            media_type=kept.media_type[:255],
            size_bytes=kept.size_bytes,
            sha256=kept.sha256,
            content_path=content_path(kept.attachment_id),
            received_at=kept.received_at,
        )
    return CaseAttachmentFetchFailed(
        case_id=case_id,
        attachment_id=kept.attachment_id,
        inbound_id=kept.inbound_id,
        channel=kept.channel,
        file_name=kept.file_name[:255],
        media_type=kept.media_type[:255],
        reason=kept.failure_reason or "unknown",
        message=(kept.failure_message or "")[:1000],
        attempts=kept.attempts,
        received_at=kept.received_at,
    )
