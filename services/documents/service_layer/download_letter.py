"""Use case: a citizen downloads their signed letter with the one-time code their message
carried (`GET /v1/letters/{id}/download?code=`, public: the code is the permission).

The code (`shared.letter_links`) must have been minted for this letter with
`SLRT_LETTER_LINK_SECRET` and not have expired; the letter must be signed. Then the PDF
is rendered and, in one transaction, the code's SHA-256 is recorded in
`documents.letter_downloads`: the primary key lets one download through and refuses the
second (`download_link_used`, 410), so two clicks at once still serve one PDF. The PDF is
rendered before the record commits: a letter that fails to render never uses up a code.

Refusals: 404 `download_link_invalid` (not a code for this letter: nothing about the
letter is said), 410 `download_link_expired`, 410 `download_link_used`, 404
`letter_not_found` (no signed letter behind a valid code).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog

from services.documents.domain.facts import SignedLetter, letter_not_found
from services.documents.service_layer.common import NewUnitOfWork
from shared.letter_links import CodeCheck, check_code, code_sha256
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)

GONE = 410


@dataclass(frozen=True)
class DownloadedLetter:
    letter: SignedLetter
    case_id: UUID
    pdf: bytes


def link_invalid() -> Refused:
    return Refused.not_found(
        "download_link_invalid",
        "Tautan unduhan tidak valid. Periksa kembali tautan pada pesan yang Anda terima.",
    )


def link_expired(expires_at: datetime | None) -> Refused:
    return Refused(
        "download_link_expired",
        "Tautan unduhan ini sudah tidak berlaku.",
        status=GONE,
        details={"expired_at": expires_at.isoformat() if expires_at else None},
    )


def link_used() -> Refused:
    return Refused(
        "download_link_used",
        "Tautan unduhan ini sudah pernah digunakan; setiap tautan hanya berlaku satu kali.",
        status=GONE,
    )


async def download_letter(
    new_uow: NewUnitOfWork,
    letter_id: UUID,
    code: str,
    *,
    secret: str,
    render: Callable[[SignedLetter], bytes | Awaitable[bytes]],
    now: datetime | None = None,
) -> DownloadedLetter:
    moment = now or datetime.now(UTC)
    checked = check_code(letter_id, code, secret=secret, now=moment)
    if checked.result is CodeCheck.INVALID or checked.expires_at is None:
        log.warning("letter_download_refused", reason="download_link_invalid")
        raise link_invalid()
    if checked.result is CodeCheck.EXPIRED:
        log.info("letter_download_refused", reason="download_link_expired")
        raise link_expired(checked.expires_at)
    async with new_uow() as uow:
        signed = await uow.letters.signed(letter_id)
        case_id = await uow.downloads.case_of(letter_id)
        if signed is None or case_id is None:
            raise letter_not_found(letter_id)
        structlog.contextvars.bind_contextvars(case_id=str(case_id))
        rendered = render(signed)
        pdf = await rendered if inspect.isawaitable(rendered) else rendered
        first = await uow.downloads.record(
            code_sha256=code_sha256(code),
            letter=signed,
            case_id=case_id,
            expires_at=checked.expires_at,
        )
        if not first:
            log.info("letter_download_refused", reason="download_link_used")
            raise link_used()
        await uow.commit()
    log.info("letter_downloaded", letter_number=signed.letter_number)
    return DownloadedLetter(signed, case_id, pdf)
