"""Eligibility's use cases on the in-memory unit of work: no PostgreSQL, no broker."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from services.eligibility.domain.registry import RegistryMember
from services.eligibility.service_layer.recheck_case import recheck_case
from services.eligibility.service_layer.upsert_members import upsert_members
from services.eligibility.service_layer.when_complaint_registered_check_eligibility import (
    when_complaint_registered_check_eligibility,
)
from shared.catalogue import Catalogue, load_catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered, DtksNotFound
from shared.contracts.streams import complaint_stream, eligibility_stream
from shared.contracts.vocab import Channel
from shared.refusal import Refused
from tests.unit.fakes_eligibility import FakeEligibility

LISTED_NIK = "5271011505800001"  # a Kota Mataram household (52.71)
STAFF = "staff:mtr-fo-01"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def member(nik: str = LISTED_NIK, region: str = "52.71.01.1004", **kw: Any) -> RegistryMember:
    data: dict[str, Any] = {
        "nik": nik,
        "kk_number": "5271010505090001",
        "name": "Bapak Contoh",
        "region_code": region,
        "decile": 1,
        "programmes": ("BPNT", "PKH"),
        "source": "DTSEN",
        "snapshot_date": date(2025, 9, 30),
    }
    data.update(kw)
    return RegistryMember.model_validate(data)


async def registered(
    world: FakeEligibility,
    nik: str | None,
    *,
    office: str = "mataram",
    service: str = "sembako-complaint",
    **kw: Any,
) -> tuple[ComplaintRegistered, EventEnvelope]:
    """A ComplaintRegistered in intake's stream, as intake appends it."""
    case_id = uuid4()
    event = ComplaintRegistered(
        case_id=case_id,
        ticket_number="MAT-2026-000001",
        office=office,
        service=service,
        channel=Channel.WHATSAPP,
        applicant=Applicant(name="Warga Contoh", nik=nik),
        received_at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
        **kw,
    )
    meta = EventMetadata(case_id=case_id, office=office, actor="staff:intake")
    (envelope,) = await world.events.append(complaint_stream(case_id), 0, [event], meta)
    world.events.commit()
    return event, envelope


async def test_a_person_listed_in_the_office_region_is_verified(catalogue: Catalogue) -> None:
    world = FakeEligibility([member()])
    event, envelope = await registered(world, LISTED_NIK)
    decision = await when_complaint_registered_check_eligibility(
        world.new_uow, catalogue, event, envelope
    )
    assert decision is not None
    assert (decision.dtks, decision.domicile) == ("verified", "not_required")
    (verified,) = await world.events.read_stream(eligibility_stream(event.case_id))
    assert verified.event_type == "DtksVerified"
    assert verified.data["kk_number"] == "5271010505090001"
    assert (verified.causation_id, verified.actor) == (envelope.event_id, "system:eligibility")
    (row,) = world.checks.rows
    assert (row.dtks_status, row.dtks_reason) == ("verified", None)
    assert row.caused_by == envelope.event_id
    assert [e["event_id"] for e in row.events] == [str(verified.event_id)]


async def test_a_person_the_registry_does_not_list_is_not_found(catalogue: Catalogue) -> None:
    world = FakeEligibility()
    event, envelope = await registered(world, LISTED_NIK)
    await when_complaint_registered_check_eligibility(world.new_uow, catalogue, event, envelope)
    (not_found,) = await world.events.read_stream(eligibility_stream(event.case_id))
    assert isinstance(not_found.payload(), DtksNotFound)
    assert not_found.data["reason"] == "not_listed"
    (row,) = world.checks.rows
    assert (row.dtks_status, row.dtks_reason) == ("not_found", "not_listed")
    assert world.registry.lookups == [LISTED_NIK]


async def test_an_invalid_nik_is_not_looked_up(catalogue: Catalogue) -> None:
    world = FakeEligibility([member()])
    event, envelope = await registered(world, "5271013501800001")  # day 35: no such date
    await when_complaint_registered_check_eligibility(world.new_uow, catalogue, event, envelope)
    assert world.registry.lookups == []
    assert world.checks.rows[0].dtks_reason == "nik_invalid"


async def test_nothing_to_check_or_an_unknown_service_records_a_row_and_no_event(
    catalogue: Catalogue,
) -> None:
    world = FakeEligibility([member()])
    kupang, env = await registered(world, LISTED_NIK, office="kupang", service="public-complaint")
    gone, env2 = await registered(world, LISTED_NIK, service="no-such-service")
    await when_complaint_registered_check_eligibility(world.new_uow, catalogue, kupang, env)
    assert (
        await when_complaint_registered_check_eligibility(world.new_uow, catalogue, gone, env2)
        is None
    )
    assert await world.events.read_stream(eligibility_stream(kupang.case_id)) == []
    assert await world.events.read_stream(eligibility_stream(gone.case_id)) == []
    assert [(r.dtks_status, r.dtks_reason, r.domicile_status) for r in world.checks.rows] == [
        ("not_required", None, "not_required"),
        ("not_checked", "unknown_service", "not_checked"),
    ]


async def test_staff_recheck_with_the_nik_the_channel_did_not_carry(catalogue: Catalogue) -> None:
    world = FakeEligibility([member()])
    event, envelope = await registered(world, None)
    await when_complaint_registered_check_eligibility(world.new_uow, catalogue, event, envelope)
    decision = await recheck_case(
        world.new_uow,
        catalogue,
        event.case_id,
        nik=LISTED_NIK,
        kk_number=None,
        staff_office="mataram",
        actor=STAFF,
    )
    assert decision is not None and decision.dtks == "verified"
    stream = await world.events.read_stream(eligibility_stream(event.case_id))
    assert [(e.event_type, e.actor) for e in stream] == [
        ("DtksNotFound", "system:eligibility"),
        ("DtksVerified", STAFF),
    ]  # the first verdict stays in the history
    assert [r.dtks_status for r in world.checks.rows] == ["not_found", "verified"]


async def test_a_recheck_is_refused_for_another_office_an_unknown_case_or_an_anonymous_one(
    catalogue: Catalogue,
) -> None:
    world = FakeEligibility([member()])
    event, _ = await registered(world, None)
    anonymous, _ = await registered(world, None, anonymous=True)

    async def recheck(case_id: Any, office: str = "mataram") -> None:
        await recheck_case(
            world.new_uow,
            catalogue,
            case_id,
            nik=LISTED_NIK,
            kk_number=None,
            staff_office=office,
            actor=STAFF,
        )

    with pytest.raises(Refused) as wrong_office:
        await recheck(event.case_id, office="kupang")
    assert (wrong_office.value.status, wrong_office.value.code) == (403, "wrong_office")
    with pytest.raises(Refused) as unknown:
        await recheck(uuid4())
    assert (unknown.value.status, unknown.value.code) == (404, "case_not_found")
    with pytest.raises(Refused) as no_identity:
        await recheck(anonymous.case_id)
    assert (no_identity.value.status, no_identity.value.code) == (409, "anonymous_report")
    assert await world.events.read_stream(eligibility_stream(event.case_id)) == []
    assert world.checks.rows == [] and world.registry.lookups == []


async def test_a_recheck_decides_again_when_another_writer_moved_the_stream(
    catalogue: Catalogue,
) -> None:
    world = FakeEligibility([member()])
    event, envelope = await registered(world, None)
    await when_complaint_registered_check_eligibility(world.new_uow, catalogue, event, envelope)

    async def another_recheck() -> None:  # commits between our load and our append
        meta = EventMetadata(case_id=event.case_id, office="mataram", actor="staff:other")
        other = DtksNotFound(case_id=event.case_id, nik=None, reason="nik_missing")
        await world.events.append(eligibility_stream(event.case_id), 1, [other], meta)
        world.events.commit()

    world.registry.during_lookup = another_recheck
    decision = await recheck_case(
        world.new_uow,
        catalogue,
        event.case_id,
        nik=LISTED_NIK,
        kk_number=None,
        staff_office="mataram",
        actor=STAFF,
    )
    assert decision is not None and decision.dtks == "verified"
    stream = await world.events.read_stream(eligibility_stream(event.case_id))
    assert [(e.stream_version, e.actor) for e in stream] == [
        (1, "system:eligibility"),
        (2, "staff:other"),
        (3, STAFF),
    ]
    assert world.registry.lookups == [LISTED_NIK, LISTED_NIK]  # decided again
    # The first attempt's row was rolled back with its events: one row per verdict.
    assert [r.dtks_status for r in world.checks.rows] == ["not_found", "verified"]


async def test_the_consumer_policy_tries_once_the_consumer_retries_the_event(
    catalogue: Catalogue,
) -> None:
    from shared.eventstore.store import ConcurrencyError

    world = FakeEligibility([member()])
    event, envelope = await registered(world, LISTED_NIK)

    async def another_writer() -> None:
        meta = EventMetadata(case_id=event.case_id, office="mataram", actor="staff:other")
        other = DtksNotFound(case_id=event.case_id, nik=None, reason="nik_missing")
        await world.events.append(eligibility_stream(event.case_id), 0, [other], meta)
        world.events.commit()

    world.registry.during_lookup = another_writer
    with pytest.raises(ConcurrencyError):
        await when_complaint_registered_check_eligibility(world.new_uow, catalogue, event, envelope)
    assert world.checks.rows == []


TODAY = date(2026, 12, 1)


async def test_admins_upsert_members(catalogue: Catalogue) -> None:
    world = FakeEligibility()
    upserted = await upsert_members(
        world.new_uow, [member(), member(decile=3)], staff_id="adm", today=TODAY
    )
    assert upserted == 1
    assert world.registry.members[LISTED_NIK].decile == 3


@pytest.mark.parametrize(
    ("day", "code", "details"),
    [
        (date(2026, 12, 2), "snapshot_date_in_future", {"members": [1], "today": "2026-12-01"}),
        (
            date(2025, 9, 29),
            "snapshot_out_of_order",
            {"members": [1], "current_snapshot_date": "2025-09-30"},
        ),
    ],
)
async def test_an_amendment_dated_after_today_or_before_the_current_snapshot_is_refused(
    day: date, code: str, details: dict[str, Any]
) -> None:
    world = FakeEligibility(snapshot_date=date(2025, 9, 30))
    other = "5271014101900002"
    with pytest.raises(Refused) as refused:
        await upsert_members(
            world.new_uow,
            [member(nik=other, snapshot_date=date(2025, 9, 30)), member(snapshot_date=day)],
            staff_id="adm",
            today=TODAY,
        )
    assert (refused.value.status, refused.value.code) == (422, code)
    assert refused.value.details == details
    assert world.registry.members == {}  # nothing written
