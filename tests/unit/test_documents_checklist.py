"""The checklist aggregate of the documents service."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.documents.domain.checklist import (
    Checklist,
    fold,
    receive_document,
    requirements_for,
)
from shared.catalogue import load_catalogue
from shared.contracts.events import DocumentReceived, RequirementsCompleted
from shared.refusal import Refused

CATALOGUE = load_catalogue()


def lumajang_reset_pin() -> Checklist:
    variant = CATALOGUE.service("lumajang", "kks-recommendation").variant("reset-pin")
    return Checklist(
        case_id=uuid4(), variant="reset-pin", required=requirements_for(variant.required_documents)
    )


def test_alternatives_are_one_requirement_and_the_last_one_completes() -> None:
    checklist = lumajang_reset_pin()
    assert checklist.missing == ["ktp|kk", "kks"] and not checklist.complete

    first = receive_document(checklist, document_type="kk", form="copy", checked_by="staff:fo")
    assert [type(e) for e in first] == [DocumentReceived]
    checklist = fold(checklist, first)
    assert checklist.missing == ["kks"] and checklist.version == 1

    last = receive_document(checklist, document_type="kks", form="original", checked_by="staff:fo")
    assert [type(e) for e in last] == [DocumentReceived, RequirementsCompleted]
    completed = last[1]
    assert isinstance(completed, RequirementsCompleted)
    assert completed.documents == ("kk", "kks") and completed.variant == "reset-pin"
    checklist = fold(checklist, last)
    assert checklist.complete and checklist.completed and checklist.version == 3

    # The other alternative afterwards is recorded, but completes nothing twice.
    extra = receive_document(checklist, document_type="ktp", form="copy", checked_by="staff:fo")
    assert [type(e) for e in extra] == [DocumentReceived]


def test_receiving_twice_is_idempotent() -> None:
    checklist = lumajang_reset_pin()
    checklist = fold(
        checklist, receive_document(checklist, document_type="ktp", form="copy", checked_by="a")
    )
    assert receive_document(checklist, document_type="ktp", form="original", checked_by="b") == []


def test_refusals() -> None:
    checklist = lumajang_reset_pin()
    with pytest.raises(Refused) as err:
        receive_document(checklist, document_type="passport", form="copy", checked_by="a")
    assert err.value.code == "unknown_document_type"
    assert err.value.details == {"allowed": ["ktp", "kk", "kks"]}
    with pytest.raises(Refused) as err:
        receive_document(checklist, document_type="kks", form="copy", checked_by="a")
    assert err.value.code == "original_required"
    no_variant = Checklist(case_id=uuid4(), variant=None, required=())
    with pytest.raises(Refused) as err:
        receive_document(no_variant, document_type="ktp", form="copy", checked_by="a")
    assert err.value.code == "variant_not_set"
