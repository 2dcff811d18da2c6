"""Personal data at rest in a service's own tables (the raw inbound message, its
attachments, documents' scans): sealed with the data key of its subject, the same keys
as the event store's personal fields (shared/eventstore/subjects.py), so one erasure
shreds both.

A row keeps the id of the subject it was sealed for (a `subject_id` column: NULL means
kept in clear, as rows written before sealing and with SLRT_ENCRYPT_PERSONAL_DATA=false
are). Each value is AES-256-GCM with a fresh nonce; the associated data binds the
subject, the row's id and the column (`label`), so a ciphertext cannot be moved to another
row or column. A value with no key to seal it (its subject already erased) is stored
empty. A reader opens a row with `open_bytes` / `open_json` / `open_text` and the keys
`KeyBook.of` found for the rows it read in one query; a value whose key is gone opens to
`None` (erased), never to its ciphertext.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.eventstore.subjects import keyring, keys_for

_NONCE = 12


@dataclass(frozen=True)
class Sealer:
    """What a row is sealed with: its subject and that subject's data key."""

    subject_id: UUID | None  # None: kept in clear (sealing switched off)
    key: bytes | None  # None with a subject: the subject is erased, nothing can be sealed


CLEAR = Sealer(None, None)


async def sealers_for(
    conn: asyncpg.Connection, anchors: Sequence[tuple[UUID | None, UUID]]
) -> list[Sealer]:
    """For each (case id or None, correlation id): the subject the event store gives that
    case, else that flow (the raw message before its case is known; the case registered
    from it is anchored to the same subject), found or created with a new key, in one
    round trip, in the caller's transaction."""
    ring = keyring()
    if not ring.enabled or not anchors:
        return [CLEAR for _ in anchors]
    new_ids = [uuid4() for _ in anchors]
    rows = await conn.fetch(
        "SELECT n, subject_id, wrapped_key FROM eventstore.resolve_subjects("
        "$1::uuid[], $2::uuid[], $3::bytea[], $4::uuid[], $5::bytea[], $6)",
        [case_id for case_id, _ in anchors],
        [flow for _, flow in anchors],
        [None for _ in anchors],
        new_ids,
        [ring.wrapper.wrap(secrets.token_bytes(32), s) for s in new_ids],
        ring.wrapper.key_ref,
    )
    out = [CLEAR for _ in anchors]
    for row in rows:
        subject: UUID = row["subject_id"]
        wrapped = row["wrapped_key"]
        key = ring.wrapper.unwrap(wrapped, subject) if wrapped is not None else None
        out[row["n"] - 1] = Sealer(subject, key)
    return out


async def sealer_for(conn: asyncpg.Connection, case_id: UUID | None, flow: UUID) -> Sealer:
    return (await sealers_for(conn, [(case_id, flow)]))[0]


async def sealer_of(conn: asyncpg.Connection, subject_id: UUID | None) -> Sealer:
    """The sealer of a row already kept for `subject_id` (its attachments, its summary);
    a row kept in clear keeps what belongs to it in clear."""
    if subject_id is None:
        return CLEAR
    return Sealer(subject_id, (await keys_for(conn, [subject_id]))[subject_id])


async def link_to_case(conn: asyncpg.Connection, subject_id: UUID | None, case_id: UUID) -> None:
    """The subject of a message routed to `case_id` is erased with that case's person
    (a further, non-primary anchor of the case)."""
    if subject_id is not None:
        await conn.execute(
            """INSERT INTO eventstore.subject_anchors (anchor, subject_id, is_primary)
               VALUES ('case:' || $1::uuid::text, $2, false) ON CONFLICT DO NOTHING""",
            case_id,
            subject_id,
        )


@dataclass(frozen=True)
class KeyBook:
    """The data keys of the rows a reader read (one query); `None` for an erased subject."""

    keys: dict[UUID, bytes | None]

    @classmethod
    async def of(cls, conn: asyncpg.Connection, subjects: Iterable[UUID | None]) -> KeyBook:
        return cls(await keys_for(conn, [s for s in subjects if s is not None]))

    def key(self, subject_id: UUID) -> bytes | None:
        return self.keys.get(subject_id)


def _aad(subject_id: UUID, row_id: UUID, label: str) -> bytes:
    return subject_id.bytes + row_id.bytes + label.encode()


def seal_bytes(sealer: Sealer, data: bytes, label: str, row_id: UUID) -> bytes:
    """`data` as stored for `row_id`'s column `label`."""
    if sealer.subject_id is None:
        return data
    if sealer.key is None:
        return b""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(sealer.key).encrypt(nonce, data, _aad(sealer.subject_id, row_id, label))


def open_bytes(
    book: KeyBook, subject_id: UUID | None, stored: bytes | None, label: str, row_id: UUID
) -> bytes | None:
    """What was sealed in `stored`; None once its subject is erased (or nothing is
    stored). A row kept in clear (no subject) is returned as it is."""
    if stored is None:
        return None
    if subject_id is None:
        return bytes(stored)
    key = book.key(subject_id)
    if key is None or not stored:
        return None
    raw = bytes(stored)
    return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(subject_id, row_id, label))


def seal_json(sealer: Sealer, value: Any, label: str, row_id: UUID) -> Any:
    """A JSON value as stored in a jsonb (or text) column: a base64 string of its sealed
    JSON; as it is when kept in clear; None stays None."""
    if value is None or sealer.subject_id is None:
        return value
    return base64.b64encode(seal_bytes(sealer, orjson.dumps(value), label, row_id)).decode()


def open_json(book: KeyBook, subject_id: UUID | None, stored: Any, label: str, row_id: UUID) -> Any:
    """What `seal_json` sealed; None once erased."""
    if stored is None or subject_id is None:
        return stored
    if book.key(subject_id) is None or not isinstance(stored, str):
        return None  # erased (an erased row may also have been blanked)
    opened = open_bytes(book, subject_id, base64.b64decode(stored), label, row_id)
    return None if opened is None else orjson.loads(opened)


def seal_text(sealer: Sealer, value: str, label: str, row_id: UUID) -> str:
    sealed = seal_json(sealer, value, label, row_id)
    return str(sealed)


def open_text(
    book: KeyBook, subject_id: UUID | None, stored: str | None, label: str, row_id: UUID
) -> str | None:
    opened = open_json(book, subject_id, stored, label, row_id)
    return None if opened is None else str(opened)
