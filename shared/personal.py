"""Personal data in the contracts, and its envelope encryption (crypto-shredding).

A field of an event that holds personal data (UU 27/2022) is marked in its contract:

    name: Annotated[str | None, Personal()] = Field(default=None, ...)

The event store (shared/eventstore/subjects.py) replaces the value of each marked field, in
what it stores and publishes, by a ciphertext string ``enc:v1:<subject>:<base64url>``:
AES-256-GCM with the data key of the field's *subject* (the person), the subject id and the
field name as associated data (a ciphertext cannot be moved to another person or field).
Readers open it again with the subject's key. Erasure destroys the key: the ciphertext is
then opened to the field's *erased value*, a value its validators accept (`None` for an
optional field, "[dihapus]" for text, or `Personal(erased=...)`), so every reader, every
projection and every rebuild sees the person as erased and nothing else changes.

Pure functions; the keys are given by the caller.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

PREFIX = "enc:v1:"
ERASED_TEXT = "[dihapus]"  # what staff read where a person's free text was
ERASED_NIK = "0000000000000000"  # a required 16-digit number, once erased
_NONCE = 12
_UNSET: Any = object()
EMPTY: tuple[Any, ...] = (None, "", (), [], {})  # nothing personal in these: left in clear


@dataclass(frozen=True)
class Personal:
    """Marks a contract field as personal data: encrypted with its subject's key at rest
    and on Kafka, and read back as `erased` once the subject is erased (default: None for an
    optional field, "[dihapus]" for text, an empty model, mapping or tuple, else the
    field's default)."""

    erased: Any = _UNSET


def _optional(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType) and NoneType in get_args(annotation)


def _erased_of(info: Any, marker: Personal) -> Any:
    if marker.erased is not _UNSET:
        return marker.erased
    if _optional(info.annotation):
        return None
    origin = get_origin(info.annotation) or info.annotation
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        return origin()  # a person with nothing known (every field optional)
    if origin is dict:
        return {}
    if origin in (tuple, list):
        return ()
    if origin is str:
        return ERASED_TEXT
    return info.get_default(call_default_factory=True)


@cache
def personal_fields(model: type[BaseModel]) -> Mapping[str, Any]:
    """Field name -> its erased value (JSON form), for each field of `model` marked
    `Personal`."""
    found: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, Personal)), None)
        if marker is not None:
            erased = _erased_of(info, marker)
            found[name] = (
                erased.model_dump(mode="json") if isinstance(erased, BaseModel) else erased
            )
    return found


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def subject_of(value: str) -> UUID:
    return UUID(value[len(PREFIX) : len(PREFIX) + 36])


def _aad(subject: UUID, field: str) -> bytes:
    return subject.bytes + field.encode()


def seal(value: Any, field: str, subject: UUID, key: bytes | None) -> str:
    """`value` (JSON-able) encrypted for `subject`; with no key (the subject is erased) the
    erased marker, which opens to the field's erased value."""
    if key is None:
        return f"{PREFIX}{subject}:"
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, orjson.dumps(value), _aad(subject, field))
    return f"{PREFIX}{subject}:{base64.urlsafe_b64encode(nonce + sealed).rstrip(b'=').decode()}"


def unseal(token: str, field: str, key: bytes | None, erased: Any) -> Any:
    """The value sealed in `token`, or `erased` when the key is gone. A wrong key or a
    ciphertext moved from another field raises `cryptography.exceptions.InvalidTag`."""
    body = token[len(PREFIX) + 37 :]
    if key is None or not body:
        return erased
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return orjson.loads(
        AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(subject_of(token), field))
    )


def seal_data(
    fields: Mapping[str, Any], data: dict[str, Any], subject: UUID, key: bytes | None
) -> dict[str, Any]:
    """`data` (an event's JSON) with each personal field sealed (empty ones left as they are)."""
    out = dict(data)
    for name in fields:
        value = out.get(name)
        if value not in EMPTY and not is_sealed(value):
            out[name] = seal(value, name, subject, key)
    return out


def sealed_subjects(datas: Iterable[Mapping[str, Any]]) -> set[UUID]:
    """The subjects of every sealed value in `datas`, in one comprehension (no call per
    value: a rebuild and every consumer batch run this over each value of each event)."""
    return {
        subject_of(v)
        for data in datas
        for v in data.values()
        if isinstance(v, str) and v.startswith(PREFIX)
    }


def open_data(
    fields: Mapping[str, Any], data: dict[str, Any], key_of: Callable[[UUID], bytes | None]
) -> dict[str, Any]:
    """`data` with each sealed field opened (its erased value when the key is gone)."""
    if not any(is_sealed(v) for v in data.values()):
        return data
    out = dict(data)
    for name, value in data.items():
        if is_sealed(value):
            out[name] = unseal(value, name, key_of(subject_of(value)), fields.get(name))
    return out


def erased_data(fields: Mapping[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """`data` with each sealed field at its erased value (to check an event's shape
    without its keys)."""
    return {k: (fields.get(k) if is_sealed(v) else v) for k, v in data.items()}
