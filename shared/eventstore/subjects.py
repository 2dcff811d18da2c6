"""Subjects and their data keys: the event store's side of crypto-shredding.

A *subject* is a person whose data the log holds (shared/personal.py says which fields).
Each has a random 256-bit data key, kept only wrapped by the key-encryption key (KEK) in
`eventstore.subjects`. The store finds the subject of an append by its *anchors*:

- `case:<case id>`: the case's person (every event of a case is about its citizen);
- `flow:<correlation id>`: what came before a case exists (the raw inbound message); a
  case registered from it gets a subject of its own (a delivery may carry several
  people) and the flow's is linked to it, erased with it (eventstore migration 004);
- the blind index of the NIK (HMAC-SHA256 with its own key): the same NIK, the same person.

A request with none of these gets a subject of its own. Erasure (`erase`) takes the
subjects of a case's person (its anchors, and every subject with the same blind index),
drops their wrapped keys, and says which cases they cover: from then on every reader
opens their ciphertext to the erased values, a rebuild included.

The KEK sits behind `KeyWrapper` (the KMS seam): `LocalKeyWrapper` derives it from
`SLRT_DATA_KEK`; a KMS would wrap and unwrap remotely under its own key reference.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol
from uuid import UUID, uuid4

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.contracts.base import EVENT_TYPES, EventEnvelope
from shared.personal import (
    EMPTY,
    erased_data,
    is_sealed,
    open_data,
    personal_fields,
    seal_data,
    sealed_subjects,
)

_NONCE = 12


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys under a key-encryption key (the KMS seam)."""

    key_ref: str

    def wrap(self, data_key: bytes, subject_id: UUID) -> bytes: ...

    def unwrap(self, wrapped: bytes, subject_id: UUID) -> bytes: ...


class LocalKeyWrapper:
    """AES-256-GCM key wrapping with a KEK derived from a secret (SLRT_DATA_KEK); the
    subject id is the associated data, so a wrapped key cannot be moved to another row."""

    def __init__(self, secret: str, key_ref: str = "local:v1") -> None:
        self._aes = AESGCM(hashlib.sha256(b"slrt-data-kek\x00" + secret.encode()).digest())
        self.key_ref = key_ref

    def wrap(self, data_key: bytes, subject_id: UUID) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aes.encrypt(nonce, data_key, subject_id.bytes)

    def unwrap(self, wrapped: bytes, subject_id: UUID) -> bytes:
        return self._aes.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject_id.bytes)


@dataclass
class Keyring:
    """What a process encrypts with: the KEK wrapper, the blind-index key, and whether
    personal fields are encrypted at all (false: bench and tests only)."""

    wrapper: KeyWrapper
    blind_key: bytes
    enabled: bool = True

    def blind_index(self, nik: str) -> bytes:
        return self.identifier_hash("nik", nik)

    def identifier_hash(self, kind: str, value: str) -> bytes:
        """The keyed hash (HMAC-SHA256 with the blind-index key) of one identifier of a
        person (`kind`: nik, phone, email, or a social channel's handle) over its canonical
        form (`canonical_identifier`): what a service keeps instead of the value where
        equality is all it needs (finding the same person again). A NIK's is its blind
        index."""
        canonical = canonical_identifier(kind, value)
        return hmac.new(
            self.blind_key, kind.encode() + b"\x00" + canonical.encode(), hashlib.sha256
        ).digest()


def canonical_identifier(kind: str, value: str) -> str:
    """One spelling per identifier: a NIK's digits; a phone number's digits after its '+'
    (the caller gives it in E.164, intake's `normalise_phone`; this only drops what is
    left of spaces and dashes); an e-mail address trimmed and lower-cased; a handle
    trimmed."""
    if kind == "nik":
        return "".join(ch for ch in value if ch.isdigit())
    if kind == "phone":
        digits = "".join(ch for ch in value if ch.isdigit())
        return f"+{digits}" if value.strip().startswith("+") else digits
    if kind == "email":
        return value.strip().lower()
    return value.strip()


_keyring: Keyring | None = None


def keyring() -> Keyring:
    """The process's keyring, from the settings on first use."""
    global _keyring
    if _keyring is None:
        from shared.settings import get_settings

        s = get_settings()
        _keyring = Keyring(
            LocalKeyWrapper(s.slrt_data_kek),
            s.slrt_blind_index_key.encode(),
            s.slrt_encrypt_personal_data,
        )
    return _keyring


def set_keyring(ring: Keyring | None) -> None:
    """Use `ring` from now on (None: from the settings again). Tests and the bench."""
    global _keyring
    _keyring = ring


@cache
def _fields(event_type: str) -> Mapping[str, Any]:
    cls = EVENT_TYPES.get(event_type)
    return personal_fields(cls) if cls is not None else {}


def _nik_in(data: Mapping[str, Any]) -> str | None:
    """The NIK an event names its person by (a registration's applicant), if any."""
    applicant = data.get("applicant")
    if isinstance(applicant, dict) and isinstance(applicant.get("nik"), str):
        return str(applicant["nik"])
    nik = data.get("nik")
    return nik if isinstance(nik, str) and nik else None


@dataclass
class ToSeal:
    """One append's events (type, JSON) and its anchors, before they are stored."""

    case_id: UUID | None
    correlation_id: UUID
    data: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Sealed:
    """One append's event data as stored, and the subject (with its data key) its personal
    fields were sealed for: None when nothing in it needed sealing (or sealing is off)."""

    data: list[dict[str, Any]]
    subject_id: UUID | None = None
    key: bytes | None = None


async def seal_appends(conn: asyncpg.Connection, appends: Sequence[ToSeal]) -> list[Sealed]:
    """Each append's event data with its personal fields sealed with its subject's key
    (subjects found or created in one round trip, in the caller's transaction)."""
    ring = keyring()
    out = [Sealed([d for _, d in a.data]) for a in appends]
    # Only appends with personal data to seal need a subject (most staff decisions carry
    # none: an empty reason).
    wanted = [
        i
        for i, a in enumerate(appends)
        if ring.enabled and any(d.get(f) not in EMPTY for t, d in a.data for f in _fields(t))
    ]
    if not wanted:
        return out
    new_ids = [uuid4() for _ in wanted]
    blind: list[bytes | None] = []
    for i in wanted:
        nik = next((n for _, d in appends[i].data if (n := _nik_in(d))), None)
        blind.append(ring.blind_index(nik) if nik else None)
    rows = await conn.fetch(
        "SELECT n, subject_id, wrapped_key FROM eventstore.resolve_subjects("
        "$1::uuid[], $2::uuid[], $3::bytea[], $4::uuid[], $5::bytea[], $6)",
        [appends[i].case_id for i in wanted],
        [appends[i].correlation_id for i in wanted],
        blind,
        new_ids,
        [ring.wrapper.wrap(secrets.token_bytes(32), s) for s in new_ids],
        ring.wrapper.key_ref,
    )
    for row in rows:
        i = wanted[row["n"] - 1]
        subject: UUID = row["subject_id"]
        wrapped = row["wrapped_key"]
        key = ring.wrapper.unwrap(wrapped, subject) if wrapped is not None else None
        sealed = [
            seal_data(_fields(t), d, subject, key) if _fields(t) else d for t, d in appends[i].data
        ]
        out[i] = Sealed(sealed, subject, key)
    return out


_KEYS_QUERY = """SELECT subject_id, wrapped_key FROM eventstore.subjects
    WHERE subject_id = ANY($1::uuid[])"""


async def keys_for(conn: asyncpg.Connection, subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
    """The data keys of `subjects` (None for an erased one), in one query."""
    wanted = set(subjects)
    if not wanted:
        return {}
    return unwrapped_keys(await conn.fetch(_KEYS_QUERY, list(wanted)), wanted)


def unwrapped_keys(rows: Iterable[Any], wanted: Iterable[UUID]) -> dict[UUID, bytes | None]:
    """The data keys of `wanted` (None for an erased one) from `eventstore.subjects` rows
    (`subject_id`, `wrapped_key`; rows of other subjects are ignored); a subject with no
    row is an error."""
    wanted = set(wanted)
    ring = keyring()
    found = {
        r["subject_id"]: (
            ring.wrapper.unwrap(r["wrapped_key"], r["subject_id"]) if r["wrapped_key"] else None
        )
        for r in rows
        if r["subject_id"] in wanted
    }
    missing = wanted - set(found)
    if missing:
        raise LookupError(f"no data key for subject(s) {sorted(map(str, missing))}")
    return found


def subjects_of(envelopes: Iterable[EventEnvelope]) -> set[UUID]:
    """The subjects whose keys open `envelopes`' sealed fields."""
    return sealed_subjects(e.data for e in envelopes)


def opened_with(
    envelopes: Sequence[EventEnvelope], keys: Mapping[UUID, bytes | None]
) -> list[EventEnvelope]:
    """`envelopes` with their personal fields opened with `keys` (from `keys_for` or
    `unwrapped_keys`, for every subject of `subjects_of(envelopes)`)."""
    return [
        e.model_copy(update={"data": open_data(_fields(e.event_type), e.data, keys.__getitem__)})
        if any(is_sealed(v) for v in e.data.values())
        else e
        for e in envelopes
    ]


async def open_envelopes(
    conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]
) -> list[EventEnvelope]:
    """`envelopes` with their personal fields opened (one key lookup for all of them;
    keys are never kept beyond the call, so nothing outlives an erasure)."""
    subjects = subjects_of(envelopes)
    if not subjects:
        return list(envelopes)
    return opened_with(envelopes, await keys_for(conn, subjects))


async def open_datas(
    conn: asyncpg.Connection, events: Sequence[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Each (event type, data) as data with its personal fields opened (one key lookup):
    for readers of the store's rows that build no envelope (a rebuild)."""
    subjects = sealed_subjects(d for _, d in events)
    if not subjects:
        return [d for _, d in events]
    keys = await keys_for(conn, subjects)
    return [open_data(_fields(t), d, keys.__getitem__) for t, d in events]


def erased_copy(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data (in clear, as a projection copied it) with each personal field at
    its erased value: what a service keeps of an erased person's events."""
    fields = _fields(event_type)
    return {k: (fields[k] if k in fields and v not in EMPTY else v) for k, v in data.items()}


def shape_of(envelope: EventEnvelope) -> EventEnvelope:
    """`envelope` with each sealed field at its erased value: its payload validates
    without any key (a consumer checks what arrives before the batch's keys are read)."""
    if not any(is_sealed(v) for v in envelope.data.values()):
        return envelope
    return envelope.model_copy(
        update={"data": erased_data(_fields(envelope.event_type), envelope.data)}
    )


@dataclass(frozen=True)
class Erased:
    subjects: list[UUID]
    cases: list[UUID]


async def person_of_case(conn: asyncpg.Connection, case_id: UUID) -> Erased:
    """The subjects of a case's person (its anchors, and every subject with the same
    blind index, erased or not) and every case they are the person of (primary anchors:
    a raw message linked to several cases is erased with each, but makes none of them
    another's)."""
    rows = await conn.fetch(
        """
        WITH own AS (
            SELECT subject_id FROM eventstore.subject_anchors
            WHERE anchor = 'case:' || $1::uuid::text
        ), person AS (
            SELECT subject_id FROM own
            UNION
            SELECT s.subject_id FROM eventstore.subjects s
            JOIN eventstore.subjects o ON o.blind_index = s.blind_index
            WHERE o.subject_id IN (SELECT subject_id FROM own)
        )
        SELECT p.subject_id,
            array_remove(array_agg(DISTINCT substr(a.anchor, 6)::uuid)
                FILTER (WHERE a.anchor LIKE 'case:%' AND a.is_primary), NULL) AS cases
        FROM person p LEFT JOIN eventstore.subject_anchors a USING (subject_id)
        GROUP BY p.subject_id
        """,
        case_id,
    )
    subjects = [r["subject_id"] for r in rows]
    cases = sorted({c for r in rows for c in (r["cases"] or [])} | {case_id}, key=str)
    return Erased(subjects, cases)


async def destroy_keys(
    conn: asyncpg.Connection, subjects: Sequence[UUID], *, reason: str, by: str
) -> int:
    """Drop the data keys of `subjects` (the wrapped key is the only copy): what was
    encrypted with them can never be read again; their NIK blind index goes too. Returns
    how many were still there."""
    return len(
        await conn.fetch(
            """UPDATE eventstore.subjects
               SET wrapped_key = NULL, blind_index = NULL, erased_at = clock_timestamp(),
                   erased_reason = $2, erased_by = $3
               WHERE subject_id = ANY($1::uuid[]) AND erased_at IS NULL
               RETURNING subject_id""",
            list(subjects),
            reason,
            by,
        )
    )
