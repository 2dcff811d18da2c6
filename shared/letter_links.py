"""One-time download codes for a signed letter: minted by notifications (it tells the
citizen), checked by documents (it serves the PDF). Neither imports the other; both
import this, as both import `shared.auth` for staff tokens.

A code is `base64url(nonce ‖ expires ‖ mac)`: 16 random bytes, the expiry as a Unix
time (8 bytes, big-endian), and the first 16 bytes of an HMAC-SHA256 over the letter id,
the nonce and the expiry, keyed with `SLRT_LETTER_LINK_SECRET`. So a code

- is random (the nonce), and cannot be guessed or moved to another letter (the MAC
  covers the letter id);
- expires (the expiry is inside the MAC: it cannot be stretched);
- is used once: documents keeps the SHA-256 of each code it has served and refuses it
  the second time. Nothing stores a code in clear but the message it travels in.

Pure: the time and the nonce are passed in; no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

_DOMAIN = b"slrt-letter-download\x00"
_NONCE = 16
_EXPIRY = 8
_MAC = 16
_LENGTH = _NONCE + _EXPIRY + _MAC


class CodeCheck(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # not one we made for this letter (or tampered with)
    EXPIRED = "expired"


@dataclass(frozen=True)
class CheckedCode:
    result: CodeCheck
    expires_at: datetime | None = None  # known when the MAC holds


def _mac(secret: str, letter_id: UUID, nonce: bytes, expiry: bytes) -> bytes:
    message = _DOMAIN + letter_id.bytes + nonce + expiry
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:_MAC]


def mint_code(
    letter_id: UUID, *, secret: str, expires_at: datetime, nonce: bytes | None = None
) -> str:
    """A fresh code for this letter, valid until `expires_at` (aware datetime)."""
    nonce = nonce if nonce is not None else secrets.token_bytes(_NONCE)
    if len(nonce) != _NONCE:
        raise ValueError(f"a nonce has {_NONCE} bytes")
    expiry = int(expires_at.timestamp()).to_bytes(_EXPIRY, "big")
    raw = nonce + expiry + _mac(secret, letter_id, nonce, expiry)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def check_code(letter_id: UUID, code: str, *, secret: str, now: datetime) -> CheckedCode:
    """Whether `code` was minted for this letter with this secret and is still valid.
    Says nothing about earlier use: that is documents' record (`code_sha256`)."""
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (ValueError, TypeError):
        return CheckedCode(CodeCheck.INVALID)
    if len(raw) != _LENGTH:
        return CheckedCode(CodeCheck.INVALID)
    # Only the one spelling `mint_code` gives: the last character's unused bits would
    # otherwise make 16 codes of one, each unused by its hash (a one-time link reused).
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != code:
        return CheckedCode(CodeCheck.INVALID)
    nonce, expiry, mac = raw[:_NONCE], raw[_NONCE : _NONCE + _EXPIRY], raw[_NONCE + _EXPIRY :]
    if not hmac.compare_digest(mac, _mac(secret, letter_id, nonce, expiry)):
        return CheckedCode(CodeCheck.INVALID)
    expires_at = datetime.fromtimestamp(int.from_bytes(expiry, "big"), UTC)
    if now >= expires_at:
        return CheckedCode(CodeCheck.EXPIRED, expires_at)
    return CheckedCode(CodeCheck.VALID, expires_at)


def code_sha256(code: str) -> str:
    """What is kept of a served code: its SHA-256, never the code."""
    return hashlib.sha256(code.encode()).hexdigest()
