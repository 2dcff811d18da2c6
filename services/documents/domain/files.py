"""What a scanned document must be before it is kept: a PDF, JPEG or PNG that really is
what it claims (magic bytes, via `filetype`), not empty and not too large. Pure: the
bytes are handed in, nothing is stored here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype

from shared.refusal import Refused

ACCEPTED_TYPES: frozenset[str] = frozenset({"application/pdf", "image/jpeg", "image/png"})
# Staff's own desk scan: a page or three, which staff can scan again smaller. A citizen's
# file accepted from intake is held to the size intake announced instead (its door's
# limit): service_layer/accept_attachment.py.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    sha256: str
    filename: str | None

    @property
    def size(self) -> int:
        return len(self.content)


def _declared(content_type: str | None) -> str:
    # "image/JPEG; name=x.jpg" -> "image/jpeg"; the common alias image/jpg too.
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return "image/jpeg" if base in {"image/jpg", "image/pjpeg"} else base


def too_large(size: int, limit: int) -> Refused:
    return Refused(
        "file_too_large",
        f"The file is larger than the {limit // (1024 * 1024)} MiB a scan may have.",
        status=413,
        details={"max_bytes": limit, "size_at_least": size},
    )


def check_file(
    content: bytes, *, declared_type: str | None, filename: str | None, max_bytes: int
) -> CheckedFile:
    """Accept the upload or refuse it with a stable code (before anything is stored)."""
    if len(content) > max_bytes:
        raise too_large(len(content), max_bytes)
    if not content:
        raise Refused.invalid("file_empty", "The uploaded file is empty.")
    declared = _declared(declared_type)
    if declared not in ACCEPTED_TYPES:
        raise Refused(
            "unsupported_file_type",
            f"Scans are accepted as PDF, JPEG or PNG, not {declared or 'an undeclared type'}.",
            status=415,
            details={"declared": declared or None, "accepted": sorted(ACCEPTED_TYPES)},
        )
    kind = filetype.guess(content)
    sniffed = kind.mime if kind is not None else None
    if sniffed != declared:
        raise Refused.invalid(
            "file_type_mismatch",
            f"The file says it is {declared} but its content is "
            f"{sniffed or 'not a recognised file type'}.",
            details={"declared": declared, "detected": sniffed},
        )
    return CheckedFile(
        content=content,
        content_type=declared,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=(filename or None) and filename[:255],
    )
