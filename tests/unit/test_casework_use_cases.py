"""Casework's use cases on the in-memory unit of work: lock, fold, decide, append and
commit, refusals that write nothing, and deciding again when the case's stream moved."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.casework.adapters.calendar import office_calendar
from services.casework.domain.commands import (
    AnswerReferral,
    AssignCase,
    CloseReferral,
    MakeReferral,
    RecordAssessment,
    ResolveCase,
    Transition,
)
from services.casework.domain.model import CaseFact, fold
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.answer_referral import answer_referral
from services.casework.service_layer.assign_case import assign_case
from services.casework.service_layer.case_command import Actor, CaseRef
from services.casework.service_layer.close_case import close_case
from services.casework.service_layer.close_referral import close_referral
from services.casework.service_layer.record_assessment import record_assessment
from services.casework.service_layer.refer_case import refer_case
from services.casework.service_layer.resolve_case import resolve_case
from services.casework.service_layer.start_work import start_work
from services.casework.service_layer.take_up_case import take_up_case
from services.casework.service_layer.when_letter_signed_resolve_case import (
    when_letter_signed_resolve_case,
)
from shared.catalogue import load_catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.casework_events import CaseResumed
from shared.contracts.events import (
    Applicant,
    CaseAssigned,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
)
from shared.contracts.streams import (
    case_stream,
    complaint_stream,
    eligibility_stream,
    letter_stream,
)
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import ConcurrencyError
from shared.refusal import Refused
from tests.unit.fakes_casework import FakeCasework, InMemoryCaseworkUnitOfWork

T0 = datetime(2026, 8, 3, 1, 0, tzinfo=UTC)
STANDARDS = CaseStandards(load_catalogue(), office_calendar)


async def registered(
    fake: FakeCasework,
    *,
    office: str = "kupang",
    service: str = "public-complaint",
    channel: Channel = Channel.LETTER,
) -> CaseRef:
    case_id = uuid4()
    registration = ComplaintRegistered(
        case_id=case_id,
        ticket_number="T-000001",
        office=office,
        service=service,
        channel=channel,
        applicant=Applicant(name="Warga Contoh"),
        received_at=T0,
    )
    meta = EventMetadata(case_id=case_id, office=office, actor="system:intake")
    await fake.given(complaint_stream(case_id), [registration], meta)
    return CaseRef(case_id=case_id, office=office, channel=channel.value)


def staff(staff_id: str) -> Actor:
    return Actor.staff(staff_id, uuid4())


async def test_assign_case_appends_to_the_case_stream_and_commits() -> None:
    fake = FakeCasework()
    case = await registered(fake)
    cmd = AssignCase(assignee="kpg-officer", role=Role.OFFICER)

    (assigned,) = await assign_case(fake.new_uow, case, cmd, staff("kpg-head"))

    assert assigned.event_type == "CaseAssigned" and assigned.stream_id == case_stream(case.case_id)
    assert assigned.actor == "staff:kpg-head" and assigned.case_id == case.case_id
    assert fake.types(case.case_id) == ["CaseAssigned"]
    state = (await fake.cases.load(case.case_id)).state
    assert state.stage == "assigned" and state.assigned_to == "kpg-officer"
    assert state.assignee_role == "officer"


async def test_a_refusal_writes_nothing() -> None:
    fake = FakeCasework()
    case = await registered(fake)
    await assign_case(
        fake.new_uow, case, AssignCase(assignee="kpg-o", role=Role.OFFICER), staff("kpg-head")
    )
    with pytest.raises(Refused) as refused:
        await start_work(fake.new_uow, case, Transition(), staff("someone-else"))
    assert refused.value.code == "not_assignee" and refused.value.status == 403
    with pytest.raises(Refused) as refused:
        await take_up_case(fake.new_uow, case, Transition(), staff("kpg-fo"))
    assert refused.value.code == "illegal_transition" and refused.value.status == 409
    assert refused.value.details["stage"] == "assigned"
    with pytest.raises(Refused) as refused:
        await record_assessment(fake.new_uow, case, RecordAssessment(summary="x"), staff("kpg-z"))
    assert refused.value.code == "not_assignee" and refused.value.status == 403
    assert fake.types(case.case_id) == ["CaseAssigned"]
    assert fake.log.pending == []


async def test_resolve_case_once_then_already_resolved() -> None:
    fake = FakeCasework()
    case = await registered(fake)
    (resolved,) = await resolve_case(
        fake.new_uow, case, ResolveCase(outcome="answered"), staff("kpg-fo")
    )
    assert resolved.data["outcome"] == "answered"
    with pytest.raises(Refused) as refused:
        await resolve_case(fake.new_uow, case, ResolveCase(outcome="again"), staff("kpg-fo"))
    assert refused.value.code == "already_resolved" and refused.value.status == 409
    assert fake.types(case.case_id) == ["CaseResolved"]


async def refer(
    fake: FakeCasework, case: CaseRef, cmd: MakeReferral, by: Actor, referral_id: UUID
) -> list[EventEnvelope]:
    """`refer_case` with the seed catalogue's standards."""
    return await refer_case(fake.new_uow, STANDARDS, case, cmd, by, referral_id=referral_id)


async def test_refer_case_checks_the_agencies_the_standard_lists() -> None:
    fake = FakeCasework()
    case = await registered(fake, office="pariaman", service="dtks-certificate")
    with pytest.raises(Refused) as refused:
        await refer(
            fake, case, MakeReferral(agency="dinas-lain", reason="r"), staff("prm-fo"), uuid4()
        )
    assert refused.value.code == "unknown_agency" and refused.value.status == 422
    assert "bpjs" in refused.value.details["known"]
    rid = uuid4()
    (made,) = await refer(
        fake, case, MakeReferral(agency="bpjs", reason="Kepesertaan"), staff("prm-fo"), rid
    )
    assert made.event_type == "ReferralMade" and UUID(made.data["referral_id"]) == rid
    state = (await fake.cases.load(case.case_id)).state
    assert [r.agency for r in state.open_referrals] == ["bpjs"]


async def test_refer_case_checks_the_programme_and_the_agency_that_runs_it() -> None:
    """Pariaman lists its programmes with the agencies that run them: a made-up programme,
    or KIS sent to the education office, is refused with what would be right."""
    fake = FakeCasework()
    case = await registered(fake, office="pariaman", service="dtks-certificate")
    fo = staff("prm-fo")
    with pytest.raises(Refused) as refused:
        await refer(
            fake,
            case,
            MakeReferral(agency="bpjs", programme="bansos-fiktif", reason="x"),
            fo,
            uuid4(),
        )
    assert refused.value.code == "unknown_programme" and refused.value.status == 422
    assert refused.value.details["known"] == ["kip", "kis", "pkh", "sembako"]
    with pytest.raises(Refused) as refused:
        await refer(
            fake,
            case,
            MakeReferral(agency="education_office", programme="kis", reason="Perlu KIS"),
            fo,
            uuid4(),
        )
    assert refused.value.code == "agency_not_for_programme"
    assert refused.value.details == {
        "programme": "kis",
        "agencies": ["bpjs", "civil_registry", "health_office"],
    }
    assert "ReferralMade" not in fake.types(case.case_id)
    (made,) = await refer(
        fake,
        case,
        MakeReferral(agency="education_office", programme="kip", reason="Anak sekolah"),
        fo,
        uuid4(),
    )
    assert made.data["programme"] == "kip"


async def signed_and_resolved(
    fake: FakeCasework, case: CaseRef, *, letter_type: str, signer: Role
) -> None:
    """The letter of the case signed (documents' fact), and casework's policy after it."""
    signed = LetterSigned(
        letter_id=uuid4(),
        case_id=case.case_id,
        letter_number="400/001/2026",
        letter_type=letter_type,
        signed_by="staff:signer",
        role=signer,
        content_sha256="0" * 64,
    )
    meta = EventMetadata(case_id=case.case_id, office=case.office, actor="staff:signer")
    await fake.given(letter_stream(signed.letter_id), [signed], meta)
    uow = InMemoryCaseworkUnitOfWork(fake.log, fake.cases)
    await when_letter_signed_resolve_case(uow, signed, fake.log.committed[-1])


async def test_pariaman_refers_after_the_certificate_until_the_case_is_closed() -> None:
    """Pariaman's standard (seed 003): the back office prints the DTKS certificate (step 7),
    then the front office may still refer the citizen to an assistance programme (steps
    8-9). The signed certificate resolves the case; the referral stays possible on it,
    with the standard's agencies checked, until the case is closed."""
    fake = FakeCasework()
    case = await registered(
        fake, office="pariaman", service="dtks-certificate", channel=Channel.WALK_IN
    )
    fo = staff("prm-fo")
    await take_up_case(fake.new_uow, case, Transition(), fo)
    await signed_and_resolved(
        fake, case, letter_type="dtks_certificate", signer=Role.HEAD_OF_OFFICE
    )
    state = (await fake.cases.load(case.case_id)).state
    assert state.stage == "resolved" and state.outcome == "letter_issued"

    with pytest.raises(Refused) as refused:
        await refer(fake, case, MakeReferral(agency="dinas-lain", reason="r"), fo, uuid4())
    assert refused.value.code == "unknown_agency" and refused.value.status == 422
    rid = uuid4()
    (made,) = await refer(
        fake, case, MakeReferral(agency="bpjs", programme="kis", reason="Perlu KIS"), fo, rid
    )
    assert made.event_type == "ReferralMade" and made.actor == "staff:prm-fo"
    state = (await fake.cases.load(case.case_id)).state
    assert state.stage == "resolved" and state.outcome == "letter_issued"
    assert [(r.agency, r.programme) for r in state.open_referrals] == [("bpjs", "kis")]
    await answer_referral(fake.new_uow, case, rid, AnswerReferral(accepted=True), fo)
    await close_referral(fake.new_uow, case, rid, CloseReferral(), fo)

    await close_case(fake.new_uow, case, Transition(reason="Warga pulang"), fo)
    with pytest.raises(Refused) as refused:
        await refer(fake, case, MakeReferral(agency="kip", reason="Anak sekolah"), fo, uuid4())
    assert refused.value.code == "already_resolved" and refused.value.status == 409
    assert refused.value.details["stage"] == "closed"
    assert fake.types(case.case_id) == [
        "CaseFileOpened",
        "CaseResolved",
        "ReferralMade",
        "ReferralAccepted",
        "ReferralClosed",
        "CaseClosed",
    ]


async def test_no_referral_after_a_resolution_the_standard_does_not_go_on_from() -> None:
    """Still refused: a Pariaman case resolved otherwise than by its certificate (not in
    DTKS), and a case whose standard has no referral after its letter (Lumajang)."""
    fake = FakeCasework()
    fo = staff("prm-fo")
    not_listed = await registered(
        fake, office="pariaman", service="dtks-certificate", channel=Channel.WALK_IN
    )
    meta = EventMetadata(case_id=not_listed.case_id, office="pariaman", actor="system:eligibility")
    await fake.given(
        eligibility_stream(not_listed.case_id),
        [DtksNotFound(case_id=not_listed.case_id, nik=None, reason="not_listed")],
        meta,
    )
    await resolve_case(fake.new_uow, not_listed, ResolveCase(outcome="not_eligible"), fo)

    lumajang = await registered(
        fake, office="lumajang", service="kks-recommendation", channel=Channel.WALK_IN
    )
    await signed_and_resolved(
        fake, lumajang, letter_type="kks_reset_pin_recommendation", signer=Role.SECRETARY
    )
    for case, agency in ((not_listed, "village"), (lumajang, "bank")):
        with pytest.raises(Refused) as refused:
            await refer(fake, case, MakeReferral(agency=agency, reason="r"), fo, uuid4())
        assert refused.value.code == "already_resolved" and refused.value.status == 409
        assert refused.value.details["stage"] == "resolved"
        assert "ReferralMade" not in fake.types(case.case_id)


async def test_a_moved_stream_is_decided_again_on_the_new_state() -> None:
    """Another writer appends to the case's stream between our load and our append: the
    append fails (ConcurrencyError) and the use case decides again, on the new state."""
    fake = FakeCasework()
    case = await registered(fake)
    loads = 0
    original_load = fake.cases.load

    async def load_then_someone_writes(case_id: UUID) -> object:
        nonlocal loads
        loaded = await original_load(case_id)
        loads += 1
        if loads == 1:  # a concurrent assignment, committed while we decide
            other = CaseAssigned(
                case_id=case_id, assignee="kpg-x", role=Role.OFFICER, assigned_by="staff:other"
            )
            meta = EventMetadata(case_id=case_id, office=case.office, actor="staff:other")
            await fake.log.append(case_stream(case_id), loaded.version, [other], meta)
            fake.log.commit()
        return loaded

    fake.cases.load = load_then_someone_writes  # type: ignore[assignment,method-assign]
    cmd = AssignCase(assignee="kpg-y", role=Role.OFFICER)
    (mine,) = await assign_case(fake.new_uow, case, cmd, staff("kpg-head"))

    assert loads == 2 and fake.opened == 2
    assert mine.stream_version == 2  # after the other writer's event
    assert fake.types(case.case_id) == ["CaseAssigned", "CaseAssigned"]
    state = (await original_load(case.case_id)).state
    assert state.assigned_to == "kpg-y" and state.care_team == ("kpg-x", "kpg-y")


async def test_a_stream_that_keeps_moving_is_refused_as_a_concurrent_update() -> None:
    fake = FakeCasework()
    case = await registered(fake)

    async def always_moved(*_: object) -> list[object]:
        raise ConcurrencyError(case_stream(case.case_id), 0)

    fake.cases.append = always_moved  # type: ignore[assignment,method-assign]
    with pytest.raises(Refused) as refused:
        await resolve_case(fake.new_uow, case, ResolveCase(outcome="answered"), staff("kpg-fo"))
    assert refused.value.code == "concurrent_update" and refused.value.status == 409
    assert fake.opened == 3  # three attempts


async def test_the_letter_signed_policy_resolves_once_in_the_joined_unit_of_work() -> None:
    fake = FakeCasework()
    case = await registered(fake)
    signed = LetterSigned(
        letter_id=uuid4(),
        case_id=case.case_id,
        letter_number="400/001/2026",
        letter_type="complaint_answer",
        signed_by="staff:kpg-head",
        role=Role.HEAD_OF_OFFICE,
        content_sha256="0" * 64,
    )
    meta = EventMetadata(case_id=case.case_id, office=case.office, actor="staff:kpg-head")
    await fake.given(letter_stream(signed.letter_id), [signed], meta)
    envelope = fake.log.committed[-1]
    for _ in range(2):  # a second delivery resolves nothing
        uow = InMemoryCaseworkUnitOfWork(fake.log, fake.cases)
        await when_letter_signed_resolve_case(uow, signed, envelope)
    assert fake.types(case.case_id) == ["CaseResolved"]
    (resolution,) = [e for e in fake.log.committed if e.event_type == "CaseResolved"]
    assert resolution.causation_id == envelope.event_id and resolution.actor == "system:casework"


def test_the_fold_reads_typed_events_and_never_invents_an_assignee() -> None:
    """A CaseAssigned fact is its class: the assignee is the staff id (never "None"), and
    an unknown fact type changes nothing."""
    case_id = uuid4()
    facts = [
        CaseFact(
            position=1,
            event_type="CaseAssigned",
            data={
                "case_id": str(case_id),
                "assignee": "sw-1",
                "role": "social_worker",
                "assigned_by": "staff:h",
            },
            recorded_at=T0,
            occurred_at=T0,
        ),
        CaseFact(2, "SomethingNew", {"case_id": str(case_id)}, T0, T0),
        CaseFact(3, CaseResumed.event_type, {"case_id": str(case_id), "by": "x"}, T0, T0),
    ]
    state = fold(case_id, facts)
    assert state.assigned_to == "sw-1" and state.care_team == ("sw-1",)
    assert state.assignee_role == "social_worker" and state.social_worker_at == T0
    assert state.last_position == 3
