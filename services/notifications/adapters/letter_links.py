"""One-time download links to a signed letter (`shared.letter_links`), served by documents.

`LetterLinks` is the port the use case asks for a link; `SignedLetterLinks` mints a fresh
random code for each message (keyed with `SLRT_LETTER_LINK_SECRET`, valid for
`SLRT_LETTER_LINK_TTL_DAYS`). Documents checks the code, serves the PDF once, and keeps
only the code's SHA-256. The link is personal (whoever holds it gets the letter once):
it is in the message text and nowhere else; it is never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import quote
from uuid import UUID

from shared.letter_links import mint_code


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


class LetterLinks(Protocol):
    def link_for(self, letter_id: UUID) -> DownloadLink: ...


def download_path(letter_id: UUID, code: str) -> str:
    return f"/v1/letters/{letter_id}/download?code={quote(code, safe='')}"


class SignedLetterLinks:
    def __init__(
        self,
        *,
        base_url: str,
        secret: str,
        ttl: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.ttl = ttl
        self.clock = clock

    def link_for(self, letter_id: UUID) -> DownloadLink:
        expires_at = (self.clock() + self.ttl).replace(microsecond=0)
        code = mint_code(letter_id, secret=self.secret, expires_at=expires_at)
        return DownloadLink(self.base_url + download_path(letter_id, code), expires_at)
