"""Intake's domain: the request model, the checks against the catalogue, ticket numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import orjson
import pytest

from services.intake.domain.commands import RegisterRequest
from services.intake.domain.registration import (
    normalise_number,
    parse_request,
    register,
    resolve_office,
    validate_request,
)
from services.intake.domain.tickets import format_ticket, ticket_prefix
from shared.catalogue import Catalogue, load_catalogue
from shared.contracts.vocab import Channel
from shared.localtime import WIB, WIT, WITA, local_date, zone_of
from shared.refusal import Refused

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": "walk_in",
        "applicant": {"name": "Warga Contoh", "nik": "3508014101900001"},
    }
    data.update(overrides)
    return data


def refused(catalogue: Catalogue, data: dict[str, Any] | bytes) -> Refused:
    raw = data if isinstance(data, bytes) else orjson.dumps(data)

    def attempt() -> None:
        cmd = parse_request(raw)
        validate_request(cmd, resolve_office(cmd, catalogue), now=NOW)

    with pytest.raises(Refused) as info:
        attempt()
    return info.value


def valid(catalogue: Catalogue, **overrides: Any) -> Any:
    cmd = parse_request(orjson.dumps(body(**overrides)))
    return validate_request(cmd, resolve_office(cmd, catalogue), now=NOW)


# ---- the request model -------------------------------------------------------------


def test_the_model_takes_the_documented_body() -> None:
    cmd = RegisterRequest.model_validate(
        {
            **body(),
            "on_behalf_of": None,
            "description": "PIN terblokir",
            "documents_declared": ["ktp", "kks"],
            "external_id": None,
            "anonymous": False,
            "confidential": False,
        }
    )
    assert cmd.documents_declared == ("ktp", "kks") and cmd.variant == "reset-pin"


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"office": ""}, ["office"]),
        ({"surprise": 1}, ["surprise"]),
        ({"applicant": {"nama": "typo"}}, ["applicant", "nama"]),
        ({"documents_declared": ["KTP Asli"]}, ["documents_declared", "0"]),
        ({"received_at": "2026-03-01T10:00:00"}, ["received_at"]),  # no time zone
        ({"external_id": ""}, ["external_id"]),
        ({"anonymous": "perhaps"}, ["anonymous"]),
    ],
)
def test_schema_errors_name_the_field(change: dict[str, Any], loc: list[str]) -> None:
    with pytest.raises(Refused) as info:
        parse_request(orjson.dumps(body(**change)))
    assert info.value.code == "invalid_request"
    errors = info.value.details["errors"]
    assert loc in [e["loc"] for e in errors]
    assert all("input" not in e for e in errors)  # personal data is not echoed


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff", b"office=lumajang"])
def test_unreadable_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(Refused) as info:
        parse_request(raw)
    assert info.value.code == "malformed_json"


# ---- checks against the catalogue --------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"office": "atlantis"}, "unknown_office"),
        ({"service": "passport"}, "unknown_service"),
        ({"variant": "gold-card"}, "unknown_variant"),
        ({"channel": "pigeon"}, "unknown_channel"),
        ({"channel": "WALK_IN"}, "unknown_channel"),
        ({"channel": "sp4n_lapor"}, "channel_not_offered"),
        ({"applicant": {"name": "A", "nik": "123"}}, "nik_invalid"),
        ({"on_behalf_of": {"nik": "35080141019000011"}}, "nik_invalid"),
        ({"applicant": {"name": "A", "kk_number": "12"}}, "kk_number_invalid"),
        ({"applicant": {"name": "A", "kks_number": "5264 12"}}, "kks_number_invalid"),
        ({"applicant": {}}, "applicant_missing"),
        ({"applicant": {"address": "Jl. Contoh"}}, "applicant_missing"),
        ({"received_at": (NOW + timedelta(hours=1)).isoformat()}, "received_at_in_future"),
    ],
)
def test_refusals_carry_their_reason(
    catalogue: Catalogue, change: dict[str, Any], code: str
) -> None:
    refusal = refused(catalogue, body(**change))
    assert refusal.code == code
    assert refusal.message


def test_a_wrong_nik_is_told_whether_its_length_or_its_characters_are_wrong(
    catalogue: Catalogue,
) -> None:
    short = refused(catalogue, body(applicant={"name": "A", "nik": "350801410190"}))
    assert short.details == {"field": "applicant.nik", "length": 12}
    assert "(this one has 12)" in short.message
    letters = refused(catalogue, body(applicant={"name": "A", "nik": "35080141019000OI"}))
    assert letters.details == {"field": "applicant.nik", "length": 16, "not_digits": 2}
    assert "other characters" in letters.message and "35080141" not in letters.message


def test_the_kks_card_number_is_kept_for_the_bank_letter(catalogue: Catalogue) -> None:
    applicant = {"name": "A", "nik": "3508014101900001", "kks_number": "5264-2210-0000-0041"}
    checked = valid(catalogue, applicant=applicant)
    assert checked.applicant.kks_number == "5264221000000041"


def test_unknown_ids_list_what_is_known(catalogue: Catalogue) -> None:
    assert "lumajang" in refused(catalogue, body(office="x")).details["known"]
    assert "reset-pin" in refused(catalogue, body(variant="x")).details["known"]
    assert "letter" in refused(catalogue, body(channel="sp4n_lapor")).details["offered"]


def test_complaint_channels_of_the_standard_are_accepted(catalogue: Catalogue) -> None:
    # Lumajang offers the service at the desk, and takes complaints by post.
    assert valid(catalogue, channel="letter").channel is Channel.LETTER
    kupang = valid(
        catalogue,
        office="kupang",
        service="public-complaint",
        variant=None,
        channel="sp4n_lapor",
        applicant={"phone": "081200000001"},
    )
    assert kupang.variant == "general"  # the only variant


def test_numbers_are_normalised(catalogue: Catalogue) -> None:
    assert normalise_number(" 3508 0141.0190-0001 ") == "3508014101900001"
    assert normalise_number("   ") is None
    req = valid(catalogue, applicant={"name": "A", "nik": "3508 0141 0190 0001"})
    assert req.applicant.nik == "3508014101900001"


def test_anonymous_needs_nobody(catalogue: Catalogue) -> None:
    req = valid(catalogue, applicant={}, anonymous=True)
    assert req.applicant.nik is None


def test_variant_recognised_from_the_description(catalogue: Catalogue) -> None:
    req = valid(catalogue, variant=None, description="KKS hilang waktu banjir")
    assert req.variant == "new-kks"
    assert valid(catalogue, variant=None, description="mohon bantuan").variant is None


def test_registered_event_carries_the_request(catalogue: Catalogue) -> None:
    cmd = parse_request(
        orjson.dumps(
            body(
                description="PIN terblokir",
                documents_declared=["ktp", "kks"],
                external_id="SRT-1",
                on_behalf_of={"name": "Pemegang", "nik": "3508014101900002"},
                received_at="2026-03-01T09:00:00+07:00",
            )
        )
    )
    req = validate_request(cmd, resolve_office(cmd, catalogue), now=NOW)
    case_id = uuid4()
    event = register(req, cmd, case_id=case_id, ticket_number="LMJ-2026-000007")
    assert event.case_id == case_id and event.ticket_number == "LMJ-2026-000007"
    assert event.on_behalf_of is not None and event.on_behalf_of.nik == "3508014101900002"
    assert event.received_at == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert event.external_id == "SRT-1" and event.documents_declared == ("ktp", "kks")


# ---- tickets -----------------------------------------------------------------------


def test_ticket_format(catalogue: Catalogue) -> None:
    assert format_ticket("LMJ", 2026, 1) == "LMJ-2026-000001"
    assert format_ticket("LMJ", 2026, 1_234_567) == "LMJ-2026-1234567"
    assert ticket_prefix(catalogue.office("lumajang")) == "LMJ"
    assert ticket_prefix(catalogue.office("mataram")) == "MTR"
    assert ticket_prefix(catalogue.office("kupang")) == "KPN"
    assert ticket_prefix(catalogue.office("pariaman")) == "PRM"


def test_ticket_prefix_of_other_ids(catalogue: Catalogue) -> None:
    lumajang = catalogue.office("lumajang")
    assert ticket_prefix(lumajang.model_copy(update={"id": "aia"})) == "AIA"  # no consonants
    assert ticket_prefix(lumajang.model_copy(update={"id": "kota-bima"})) == "KTB"


def test_office_time_zones() -> None:
    assert zone_of("35.08") is WIB  # Jawa Timur
    assert zone_of("13.77") is WIB  # Sumatera Barat
    assert zone_of("52.71") is WITA  # NTB
    assert zone_of("53.71") is WITA  # NTT
    assert zone_of("91.71") is WIT  # Papua


def test_the_year_is_the_offices_own() -> None:
    new_year_eve_utc = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    assert local_date(new_year_eve_utc, "52.71") == date(2026, 1, 1)  # 00:30 WITA
    assert local_date(new_year_eve_utc, "35.08") == date(2025, 12, 31)  # 23:30 WIB
