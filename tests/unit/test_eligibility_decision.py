"""The eligibility decision as a pure function: which events for which facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.eligibility.domain.decision import Rules, decide, subject_nik
from services.eligibility.domain.registry import RegistryMember
from shared.contracts.events import (
    Applicant,
    ComplaintRegistered,
    DomicileRefused,
    DomicileVerified,
    DtksNotFound,
    DtksVerified,
)
from shared.contracts.vocab import Channel

MATARAM_SEMBAKO = Rules(requires_dtks=True, office_region_code="52.71", domicile_region_code=None)
MATARAM_LK3 = Rules(requires_dtks=False, office_region_code="52.71", domicile_region_code="52.71")
KUPANG_COMPLAINT = Rules(requires_dtks=False, office_region_code="53.71", domicile_region_code=None)
BOTH = Rules(requires_dtks=True, office_region_code="52.71", domicile_region_code="52.71")

LISTED_NIK = "5271011505800001"


def registered(nik: str | None, *, proxy_nik: str | None = None, **kw: Any) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=uuid4(),
        ticket_number="MAT-2026-000001",
        office="mataram",
        service="sembako-complaint",
        channel=Channel.WALK_IN,
        applicant=Applicant(name="Warga Contoh", nik=nik),
        on_behalf_of=Applicant(name="Pemegang Kartu", nik=proxy_nik) if proxy_nik else None,
        received_at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
        **kw,
    )


def member(nik: str = LISTED_NIK, region: str = "52.71.01.1004", **kw: Any) -> RegistryMember:
    data: dict[str, Any] = {
        "nik": nik,
        "kk_number": "5271010505090001",
        "name": "Bapak Contoh",
        "region_code": region,
        "decile": 1,
        "programmes": ("BPNT", "PKH"),
        "source": "DTKS",
        "snapshot_date": date(2025, 6, 30),
    }
    data.update(kw)
    return RegistryMember.model_validate(data)


def test_listed_in_the_office_region_is_verified() -> None:
    event = registered(LISTED_NIK)
    d = decide(event, MATARAM_SEMBAKO, member())
    assert d.dtks == "verified" and d.domicile == "not_required" and d.reason is None
    assert d.events == (
        DtksVerified(
            case_id=event.case_id,
            nik=LISTED_NIK,
            kk_number="5271010505090001",
            region_code="52.71.01.1004",
            decile=1,
            programmes=("BPNT", "PKH"),
            source="DTKS",
            snapshot_date=date(2025, 6, 30),
            name="Bapak Contoh",  # the registry's name, not the one the applicant gave
        ),
    )


def test_dtks_verified_without_a_name_stays_readable() -> None:
    """An event written before the registry's name was carried still decodes (name None)."""
    old = DtksVerified.model_validate(
        {
            "case_id": str(uuid4()),
            "nik": LISTED_NIK,
            "kk_number": "5271010505090001",
            "region_code": "52.71.01.1004",
            "snapshot_date": "2025-06-30",
        }
    )
    assert old.name is None


@pytest.mark.parametrize(
    ("nik", "row", "reason"),
    [
        (None, None, "nik_missing"),
        ("", None, "nik_missing"),
        ("5271013501800001", None, "nik_invalid"),  # day 35
        ("5271011513800001", None, "nik_invalid"),  # month 15
        ("5271011505800009", None, "not_listed"),
        (LISTED_NIK, member(status="inactive"), "not_listed"),
        (LISTED_NIK, member(region="35.08.04.2002"), "listed_in_other_region"),
    ],
)
def test_not_verified_says_why(nik: str | None, row: RegistryMember | None, reason: str) -> None:
    event = registered(nik or None)
    d = decide(event, MATARAM_SEMBAKO, row)
    assert d.dtks == "not_found" and d.reason == reason
    (found,) = d.events
    assert isinstance(found, DtksNotFound)
    assert found.reason == reason and found.case_id == event.case_id
    assert found.nik == (nik or None)


def test_a_structurally_invalid_nik_is_invalid_even_if_a_row_came_back() -> None:
    d = decide(registered("5271019901800001"), MATARAM_SEMBAKO, member("5271011505800001"))
    assert d.reason == "nik_invalid"
    assert "birth day 99" in d.events[0].detail  # type: ignore[attr-defined]


def test_by_proxy_the_cardholder_is_checked() -> None:
    event = registered("3508011203750001", proxy_nik=LISTED_NIK)
    assert subject_nik(event) == LISTED_NIK
    assert decide(event, MATARAM_SEMBAKO, member()).dtks == "verified"


def test_services_asking_nothing_get_nothing() -> None:
    d = decide(registered(None), KUPANG_COMPLAINT, None)
    assert d.events == () and (d.dtks, d.domicile) == ("not_required", "not_required")


@pytest.mark.parametrize(
    ("nik", "row", "expected"),
    [
        # The registry's household address wins over where the NIK was issued.
        (
            "1377012504820001",
            member("1377012504820001", "52.71.05.1001"),
            DomicileVerified,
        ),
        ("5271041212900001", member("5271041212900001", "35.08.04.2002"), DomicileRefused),
        # Not listed: judged by the NIK's region.
        ("5271011505800009", None, DomicileVerified),
        ("3508011203750001", None, DomicileRefused),
        # An inactive listing is no evidence of address; the NIK is.
        ("5271011505800001", member(region="35.08.01.2001", status="inactive"), DomicileVerified),
    ],
)
def test_domicile(nik: str, row: RegistryMember | None, expected: type) -> None:
    d = decide(registered(nik), MATARAM_LK3, row)
    (event,) = d.events
    assert isinstance(event, expected)
    assert d.dtks == "not_required"
    assert d.domicile == ("verified" if expected is DomicileVerified else "refused")


def test_domicile_bases() -> None:
    by_registry = decide(
        registered("1377012504820001"),
        MATARAM_LK3,
        member("1377012504820001", "52.71.05.1001"),
    ).events[0]
    assert by_registry == DomicileVerified(
        case_id=by_registry.case_id,  # type: ignore[attr-defined]
        region_code="52.71.05.1001",
        basis="registry",
    )
    by_nik = decide(registered("3508011203750001"), MATARAM_LK3, None).events[0]
    assert isinstance(by_nik, DomicileRefused)
    assert (by_nik.basis, by_nik.found_region_code, by_nik.required_region_code) == (
        "nik_region",
        "35.08",
        "52.71",
    )
    missing = decide(registered(None), MATARAM_LK3, None).events[0]
    assert isinstance(missing, DomicileRefused)
    assert (missing.basis, missing.found_region_code) == ("nik_missing", None)
    invalid = decide(registered("5271019901800001"), MATARAM_LK3, None).events[0]
    assert isinstance(invalid, DomicileRefused) and invalid.found_region_code is None


def test_both_questions_both_answers_in_order() -> None:
    d = decide(registered(LISTED_NIK), BOTH, member())
    assert [type(e) for e in d.events] == [DtksVerified, DomicileVerified]


def test_registry_member_rules() -> None:
    with pytest.raises(ValidationError, match="not a NIK"):
        member("5271013501800001")
    with pytest.raises(ValidationError):
        member(region="52.71")  # a village code has four parts
    with pytest.raises(ValidationError):
        member(decile=11)
    with pytest.raises(ValidationError):
        member(source="BPS")
    assert member().listed and not member(status="deceased").listed
