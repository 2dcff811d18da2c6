"""Signed links to the satisfaction survey (IKM): minted by notifications in the closing
message, checked by the public portal. Neither imports the other; both import this.

A token is `base64url(office|ticket|expiry|nonce) . base64url(mac)`, the MAC the first
16 bytes of an HMAC-SHA256 keyed with `SLRT_SURVEY_LINK_SECRET`: it cannot be forged for
another ticket, nor stretched. It is used once: casework takes one survey per case (the
second answer is refused `already_surveyed`), so the link dies with its first use.

Pure: the time and the nonce are passed in; no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

_DOMAIN = b"slrt-survey-link\x00"
_MAC = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), _DOMAIN + body, hashlib.sha256).digest()[:_MAC]


def mint_survey_token(
    office: str, ticket_number: str, *, secret: str, expires_at: datetime, nonce: str | None = None
) -> str:
    body = "|".join(
        (office, ticket_number, str(int(expires_at.timestamp())), nonce or secrets.token_hex(8))
    ).encode()
    return f"{_b64(body)}.{_b64(_mac(secret, body))}"


@dataclass(frozen=True)
class SurveyTicket:
    office: str
    ticket_number: str
    expires_at: datetime


def check_survey_token(token: str, *, secret: str, now: datetime) -> SurveyTicket | None:
    """The ticket the token was minted for, or None (forged, malformed or expired)."""
    try:
        body_part, mac_part = token.split(".", 1)
        body, mac = _unb64(body_part), _unb64(mac_part)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(secret, body)):
        return None
    try:
        office, ticket, expiry, _ = body.decode().split("|")
        expires_at = datetime.fromtimestamp(int(expiry), UTC)
    except ValueError:
        return None
    if now >= expires_at:
        return None
    return SurveyTicket(office, ticket, expires_at)
