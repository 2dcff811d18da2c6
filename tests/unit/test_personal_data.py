"""Crypto-shredding, pure: the marks on the contracts, sealing and opening, erased values."""

from __future__ import annotations

import re
import secrets
from typing import Any, get_args, get_origin
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import BaseModel

from shared.contracts import EVENT_TYPES
from shared.contracts.events import Applicant, ComplaintRegistered, DtksVerified
from shared.eventstore.subjects import Keyring, LocalKeyWrapper
from shared.personal import (
    ERASED_NIK,
    ERASED_TEXT,
    is_sealed,
    open_data,
    personal_fields,
    seal,
    seal_data,
    unseal,
)

# A field whose name says it may hold a person's data must be marked `Personal`, unless
# it is listed here with the reason it holds none.
LOOKS_PERSONAL = re.compile(
    r"name|nik|kk_|kks|phone|email|address|handle|description|summary|notes|body|comment|"
    r"instruction|reason|answer|payload|recipient|reply_to|purpose|message|content|subject|"
    r"note|detail|about|applicant|on_behalf"
)
NOT_PERSONAL = {
    ("DtksNotFound", "reason"): "a code (Literal)",
    ("DuplicateSuspected", "reason"): "a code (Literal)",
    ("DocumentsMissingNoted", "noted_by"): "a staff id",
    ("TriageRequested", "reason"): "a code: service_not_recognised, ...",
    ("NotificationFailed", "reason"): "the provider's reason, which carries no address",
    ("CaseAttachmentFetchFailed", "reason"): "a code",
    ("StaffNotified", "email"): "pending | no_address (Literal), about staff",
    ("ComplaintRegistered", "check_code_sealed"): "already sealed (AES-GCM, check_codes)",
    ("DocumentReceived", "file_content_type"): "a media type",
    ("CaseAttachmentReceived", "content_path"): "where intake keeps the file, no name",
    ("PersonalDataErased", "subject_ids"): "pseudonyms whose keys are destroyed",
    ("LetterSigned", "content_sha256"): "a hash",
    ("ChannelDeliveryStatusReported", "provider_message_id"): "the provider's message id",
    ("NotificationDelivered", "provider_message_id"): "the provider's message id",
}
NESTED_NOT_PERSONAL = {
    ("MissingDocument", "names"): "names of document types, not of people",
}


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in get_args(annotation) for m in _models(a)] if get_origin(annotation) else []


def test_every_personal_looking_field_of_every_event_is_marked() -> None:
    unmarked: list[str] = []
    for event_type, cls in EVENT_TYPES.items():
        marked = personal_fields(cls)
        for name, info in cls.model_fields.items():
            if name in marked:
                continue
            if LOOKS_PERSONAL.search(name) and (event_type, name) not in NOT_PERSONAL:
                unmarked.append(f"{event_type}.{name}")
            for model in _models(info.annotation):  # inside an unmarked model: its fields
                for inner in model.model_fields:
                    if LOOKS_PERSONAL.search(inner) and (model.__name__, inner) not in (
                        NESTED_NOT_PERSONAL
                    ):
                        unmarked.append(f"{event_type}.{name}.{inner}")
    assert unmarked == []


def test_erased_values_pass_each_fields_validators() -> None:
    for cls in EVENT_TYPES.values():
        for name, erased in personal_fields(cls).items():
            cls.__pydantic_validator__.validate_assignment(
                cls.model_construct(), name, erased
            )  # raises if the erased value is not a valid value of the field
    assert personal_fields(DtksVerified)["nik"] == ERASED_NIK
    assert personal_fields(ComplaintRegistered)["applicant"] == Applicant().model_dump()


def test_seal_and_open_round_trip_and_erasure() -> None:
    key, subject = secrets.token_bytes(32), uuid4()
    fields = personal_fields(ComplaintRegistered)
    data = {
        "applicant": {"name": "Siti Contoh", "nik": "3508010101900001", "phone": "081200000001"},
        "description": "Kartu KKS hilang",
        "office": "lumajang",
    }
    sealed = seal_data(fields, data, subject, key)
    assert is_sealed(sealed["applicant"]) and is_sealed(sealed["description"])
    assert sealed["office"] == "lumajang"
    assert "3508010101900001" not in str(sealed) and "Siti" not in str(sealed)
    assert open_data(fields, sealed, lambda s: key) == data
    erased = open_data(fields, sealed, lambda s: None)  # the key destroyed
    assert erased["applicant"] == Applicant().model_dump()
    assert erased["description"] == ERASED_TEXT
    assert erased["office"] == "lumajang"


def test_a_wrong_key_or_another_field_fails() -> None:
    key, subject = secrets.token_bytes(32), uuid4()
    token = seal("Siti Contoh", "name", subject, key)
    with pytest.raises(InvalidTag):
        unseal(token, "name", secrets.token_bytes(32), None)
    with pytest.raises(InvalidTag):
        unseal(token, "address", key, None)  # moved to another field


def test_the_kek_wraps_a_data_key_for_one_subject_only() -> None:
    ring = Keyring(LocalKeyWrapper("k" * 40), b"b" * 32)
    subject, data_key = uuid4(), secrets.token_bytes(32)
    wrapped = ring.wrapper.wrap(data_key, subject)
    assert ring.wrapper.unwrap(wrapped, subject) == data_key
    with pytest.raises(InvalidTag):
        ring.wrapper.unwrap(wrapped, uuid4())
    with pytest.raises(InvalidTag):
        LocalKeyWrapper("x" * 40).unwrap(wrapped, subject)
    assert ring.blind_index("3508 0101 0190 0001") == ring.blind_index("3508010101900001")
