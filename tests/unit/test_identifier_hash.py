"""The keyed hash intake keeps instead of a person's identifiers
(`Keyring.identifier_hash`): one per identifier whatever its spelling, different per kind
and per key, and a NIK's is its blind index (the event store's)."""

from __future__ import annotations

import hashlib
import hmac

from services.intake.domain.registration import normalise_phone
from shared.eventstore.subjects import Keyring, LocalKeyWrapper, canonical_identifier

RING = Keyring(LocalKeyWrapper("k" * 40), b"b" * 32)


def test_one_hash_per_identifier_whatever_its_spelling() -> None:
    nik = RING.identifier_hash("nik", "5371019912990077")
    assert RING.identifier_hash("nik", "5371 0199 1299 0077") == nik
    assert RING.blind_index("5371.0199.1299.0077") == nik
    phone = RING.identifier_hash("phone", "+6281299990077")
    for typed in ("0812-9999-0077", "6281299990077", "+62 812 9999 0077"):
        normalised = normalise_phone(typed)
        assert normalised is not None
        assert RING.identifier_hash("phone", normalised) == phone, typed
    assert RING.identifier_hash("email", " Warga@Example.ORG ") == RING.identifier_hash(
        "email", "warga@example.org"
    )


def test_the_hash_is_keyed_and_bound_to_the_kind() -> None:
    value = "5371019912990077"
    assert RING.identifier_hash("nik", value) != RING.identifier_hash("phone", value)
    other = Keyring(LocalKeyWrapper("k" * 40), b"c" * 32)
    assert other.identifier_hash("nik", value) != RING.identifier_hash("nik", value)
    # HMAC-SHA256 over kind, NUL, canonical value: nothing of the value shows.
    expected = hmac.new(b"b" * 32, b"nik\x00" + value.encode(), hashlib.sha256).digest()
    assert RING.identifier_hash("nik", value) == expected
    assert value.encode() not in expected


def test_canonical_forms() -> None:
    assert canonical_identifier("nik", "5371-0199-1299-0077") == "5371019912990077"
    assert canonical_identifier("phone", "+62 812-9999-0077") == "+6281299990077"
    assert canonical_identifier("email", " A@B.ID ") == "a@b.id"
    assert canonical_identifier("twitter", " WargaX ") == "WargaX"
