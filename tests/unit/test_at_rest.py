"""Sealing at rest (shared/at_rest.py): a sealed value opens only for its own row and
column with its subject's key, reads as erased once the key is gone, and a row kept in
clear (no subject) reads as it is."""

from __future__ import annotations

import secrets
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag

from shared.at_rest import (
    CLEAR,
    KeyBook,
    Sealer,
    open_bytes,
    open_json,
    seal_bytes,
    seal_json,
)


def test_a_sealed_value_opens_for_its_row_and_column_only() -> None:
    subject, row, other_row = uuid4(), uuid4(), uuid4()
    sealer = Sealer(subject, secrets.token_bytes(32))
    book = KeyBook({subject: sealer.key})
    data = b"%PDF-1.4 KTP Warga Sintetis 3508019912990001"
    stored = seal_bytes(sealer, data, "attachment.content", row)
    assert data not in stored and len(stored) == len(data) + 28  # nonce + tag
    assert open_bytes(book, subject, stored, "attachment.content", row) == data
    with pytest.raises(InvalidTag):
        open_bytes(book, subject, stored, "attachment.content", other_row)
    with pytest.raises(InvalidTag):
        open_bytes(book, subject, stored, "inbound.body", row)
    parsed = {"sender": {"name": "Warga Sintetis"}, "text": "bantuan"}
    sealed_json = seal_json(sealer, parsed, "inbound.parsed", row)
    assert isinstance(sealed_json, str) and "Warga" not in sealed_json
    assert open_json(book, subject, sealed_json, "inbound.parsed", row) == parsed


def test_an_erased_subject_reads_as_erased_and_clear_rows_as_they_are() -> None:
    subject, row = uuid4(), uuid4()
    sealer = Sealer(subject, secrets.token_bytes(32))
    stored = seal_bytes(sealer, b"isi surat", "inbound.body", row)
    erased = KeyBook({subject: None})
    assert open_bytes(erased, subject, stored, "inbound.body", row) is None
    assert open_json(erased, subject, seal_json(sealer, {"a": 1}, "x", row), "x", row) is None
    assert open_json(erased, subject, {}, "inbound.headers", row) is None  # blanked too
    # Nothing can be sealed for an erased subject: it is stored empty.
    assert seal_bytes(Sealer(subject, None), b"isi", "inbound.body", row) == b""
    # Kept in clear (sealing off, or kept before sealing): as it is, both ways.
    assert seal_bytes(CLEAR, b"isi", "inbound.body", row) == b"isi"
    assert open_bytes(KeyBook({}), None, b"isi", "inbound.body", row) == b"isi"
    assert seal_json(CLEAR, {"a": 1}, "x", row) == {"a": 1}
