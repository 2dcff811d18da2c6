"""A one-time download code has one spelling: the unused bits of its last base64 character
do not make other codes of it, each unused by its hash (found as a flaky e2e check that
changes the last character of a used link)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from shared.letter_links import CodeCheck, check_code, mint_code

SECRET = "unit-letter-link-secret"
NOW = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)


def test_only_the_minted_spelling_of_a_code_is_valid() -> None:
    letter_id = uuid4()
    code = mint_code(letter_id, secret=SECRET, expires_at=NOW + timedelta(days=7), nonce=b"\0" * 16)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes = [
        code[:-1] + c
        for c in alphabet
        if c != code[-1]
        and base64.urlsafe_b64decode(code[:-1] + c + "=" * (-len(code) % 4))
        == base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    ]
    assert same_bytes, "the code's last character has no unused bits: nothing to test"
    assert check_code(letter_id, code, secret=SECRET, now=NOW).result is CodeCheck.VALID
    for other in same_bytes:
        assert check_code(letter_id, other, secret=SECRET, now=NOW).result is CodeCheck.INVALID
