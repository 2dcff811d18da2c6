"""The citizen's check code (kode cek): what, with the ticket number, opens the public
status page. Tickets are sequential; the code is what only the citizen has.

- **Issued by intake** at registration: 8 characters from an alphabet without look-alikes
  (`ABCDEFGHJKLMNPQRSTUVWXYZ23456789`, 40 bits), from `secrets`. It is printed on the
  desk receipt (the registration's HTTP answer) and nowhere else in clear.
- **Stored hashed**: intake keeps only an HMAC-SHA256 of it keyed with
  `SLRT_CHECK_CODE_SECRET` (a pepper: a copied table alone cannot be searched for codes),
  and verifies a code against it in constant time.
- **Sealed for the first message**: `ComplaintRegistered.check_code_sealed` carries it
  encrypted (AES-256-GCM, key derived from the same secret, the case id as associated
  data, so a sealed code cannot be moved to another case). Notifications opens it to
  write the first message. Never in clear on Kafka, in the event store or in logs.

Pure functions; the randomness and the secret are the only inputs from outside.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 8
_NONCE = 12


def new_check_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code: str) -> str:
    """What the citizen typed, as issued: upper case, spaces and dashes dropped."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def hash_check_code(code: str, *, secret: str) -> str:
    return hmac.new(
        secret.encode(), b"slrt-check-code\x00" + normalise(code).encode(), hashlib.sha256
    ).hexdigest()


def matches(code: str, stored_hash: str | None, *, secret: str) -> bool:
    """Whether `code` is the one whose hash is stored (constant time; False for None)."""
    candidate = hash_check_code(code, secret=secret)
    return hmac.compare_digest(candidate, stored_hash or "0" * len(candidate))


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"slrt-check-code-seal\x00" + secret.encode()).digest()


def seal(code: str, case_id: UUID, *, secret: str) -> str:
    """The code encrypted for notifications (base64url of nonce ‖ ciphertext ‖ tag)."""
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(_key(secret)).encrypt(nonce, code.encode(), case_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def unseal(sealed: str, case_id: UUID, *, secret: str) -> str | None:
    """The code, or None when it was not sealed for this case with this secret."""
    try:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        plain = AESGCM(_key(secret)).decrypt(raw[:_NONCE], raw[_NONCE:], case_id.bytes)
    except (ValueError, InvalidTag):
        return None
    return plain.decode()
