"""Event schemas: registered by name, versioned, and old versions stay readable."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import uuid4

import pytest

from shared.contracts import base
from shared.contracts.base import EVENT_TYPES, Event, decode_payload, register, upcaster
from shared.contracts.events import ALL_TOPICS


def test_every_event_is_past_tense_and_on_its_owner_topic() -> None:
    assert {"ComplaintRegistered", "DtksVerified", "LetterApproved", "ReferralMade"} <= set(
        EVENT_TYPES
    )
    for name, cls in EVENT_TYPES.items():
        if name.startswith("_Test"):
            continue
        assert cls.topic in ALL_TOPICS, name
        assert name.endswith(("ed", "Sent", "Found", "Made")), f"{name} is not a fact"


def test_an_old_schema_version_is_upcast_on_read() -> None:
    @register
    class _TestReferralNoted(Event):
        event_type: ClassVar[str] = "_TestReferralNoted"
        schema_version: ClassVar[int] = 2
        topic: ClassVar[str] = "slrt.casework.events"

        agency: str
        urgent: bool

    @upcaster("_TestReferralNoted", 1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "urgent": False}  # v1 had no urgency: it was never urgent

    try:
        old = decode_payload("_TestReferralNoted", 1, {"agency": "bpjs"})
        assert old == _TestReferralNoted(agency="bpjs", urgent=False)
        with pytest.raises(ValueError, match="no upcaster"):
            decode_payload("_TestReferralNoted", 0, {"agency": "bpjs"})
    finally:
        EVENT_TYPES.pop("_TestReferralNoted")
        base.UPCASTERS.pop(("_TestReferralNoted", 1))


def test_unknown_event_type_is_an_error_not_a_guess() -> None:
    with pytest.raises(base.UnknownEventType):
        decode_payload("SomethingHappened", 1, {"case_id": str(uuid4())})
