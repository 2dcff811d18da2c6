"""The documents use cases on the in-memory unit of work: load, decide, append, with no
PostgreSQL. The integration tests run the same use cases on the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.documents.domain.commands import (
    ApproveLetter,
    DraftLetter,
    ReceiveDocument,
    ResubmitLetter,
    ReturnLetter,
    SignLetter,
)
from services.documents.service_layer.approve_letter import approve_letter
from services.documents.service_layer.decide_checklist import decide_checklist
from services.documents.service_layer.draft_letter import draft_letter
from services.documents.service_layer.record_document import record_document
from services.documents.service_layer.resubmit_letter import resubmit_letter
from services.documents.service_layer.return_letter import return_letter
from services.documents.service_layer.sign_letter import sign_letter
from services.documents.service_layer.verify_letter import verify_letter
from services.documents.service_layer.when_case_disposed_record_drafter import (
    when_case_delegated_record_drafter,
    when_case_disposed_record_drafter,
)
from services.documents.service_layer.when_complaint_registered_open_checklist import (
    when_complaint_registered_open_checklist,
)
from services.documents.service_layer.when_dtks_checked_record_result import (
    when_dtks_verified_record_result,
)
from shared.auth import StaffIdentity
from shared.catalogue import load_catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.events import (
    Applicant,
    CaseAssigned,
    ComplaintRegistered,
    DocumentReceived,
    DtksVerified,
    LetterReviewed,
)
from shared.contracts.streams import (
    case_stream,
    checklist_stream,
    complaint_stream,
    letter_stream,
)
from shared.contracts.vocab import Channel, Role
from shared.refusal import Refused
from tests.unit.fakes_documents import FakeDocuments

CATALOGUE = load_catalogue()


def staff(office: str, *roles: Role, staff_id: str | None = None) -> StaffIdentity:
    return StaffIdentity(
        staff_id=staff_id or f"{office}-{roles[0].value}",
        office=office,
        roles=frozenset(roles),
    )


FO = staff("lumajang", Role.FRONT_OFFICE)
OFFICER = staff("lumajang", Role.OFFICER)
SUB = staff("lumajang", Role.SUB_COORDINATOR)
SUB_2 = staff("lumajang", Role.SUB_COORDINATOR, staff_id="lmj-sub-2")
KABID = staff("lumajang", Role.HEAD_OF_DIVISION)
SECRETARY = staff("lumajang", Role.SECRETARY)


async def register(
    db: FakeDocuments,
    *,
    office: str = "lumajang",
    service: str = "kks-recommendation",
    variant: str = "reset-pin",
    channel: Channel = Channel.WALK_IN,
    dtks: bool = True,
) -> UUID:
    """What intake and eligibility leave in the log, taken in by the two policies."""
    case_id = uuid4()
    registered = ComplaintRegistered(
        case_id=case_id,
        ticket_number="LMJ-2026-000001",
        office=office,
        service=service,
        variant=variant,
        channel=channel,
        applicant=Applicant(name="Warga Contoh", nik="3508014101900001"),
        documents_declared=("ktp", "kks"),
        received_at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
    )
    meta = EventMetadata(case_id=case_id, office=office, actor="citizen", channel=channel)
    [envelope] = await db.events.append(complaint_stream(case_id), 0, [registered], meta)
    db.events.commit()
    uow = db.unit_of_work()
    await when_complaint_registered_open_checklist(uow, registered, CATALOGUE)
    if dtks:
        verified = DtksVerified(
            case_id=case_id,
            nik="3508014101900001",
            kk_number="3508010101900001",
            region_code="35.08.01.2001",
            programmes=("BPNT",),
            snapshot_date=date(2026, 1, 1),
        )
        await when_dtks_verified_record_result(uow, verified, envelope)
    return case_id


async def documents_brought(db: FakeDocuments, case_id: UUID) -> None:
    for document_type, form in (("kk", "copy"), ("kks", "original")):
        cmd = ReceiveDocument(case_id=case_id, document_type=document_type, form=form)
        assert await record_document(db.unit_of_work, cmd, FO, uuid4())


async def drafted(db: FakeDocuments) -> UUID:
    case_id = await register(db)
    await documents_brought(db, case_id)
    return await draft_letter(
        db.unit_of_work, CATALOGUE, DraftLetter(case_id=case_id), OFFICER, uuid4()
    )


async def test_documents_complete_the_checklist_once() -> None:
    db = FakeDocuments()
    case_id = await register(db)
    decided = await decide_checklist(db.unit_of_work, case_id, FO, uuid4())
    assert not decided.complete and decided.missing == ["ktp|kk", "kks"]
    await documents_brought(db, case_id)
    again = ReceiveDocument(case_id=case_id, document_type="kk", form="copy")
    assert await record_document(db.unit_of_work, again, FO, uuid4()) is False
    types = [e.event_type for e in await db.events.read_stream(checklist_stream(case_id))]
    assert types == [
        "DocumentsMissingNoted",
        "DocumentReceived",
        "DocumentReceived",
        "RequirementsCompleted",
    ]
    envelope = (await db.events.read_stream(checklist_stream(case_id)))[-1]
    assert envelope.office == "lumajang" and envelope.actor == FO.actor


async def test_a_draft_goes_up_the_chain_and_is_signed() -> None:
    db = FakeDocuments()
    letter_id = await drafted(db)
    after = await approve_letter(db.unit_of_work, ApproveLetter(letter_id=letter_id), SUB, uuid4())
    assert after.status == "in_review" and after.current_role is Role.HEAD_OF_DIVISION
    after = await approve_letter(
        db.unit_of_work, ApproveLetter(letter_id=letter_id), KABID, uuid4()
    )
    assert after.status == "approved"
    now = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
    signed = await sign_letter(
        db.unit_of_work, CATALOGUE, SignLetter(letter_id=letter_id), SECRETARY, uuid4(), now=now
    )
    assert signed.status == "signed"
    assert signed.letter_number is not None and "/0001/" in signed.letter_number
    assert signed.letter_number.endswith("/XI/2026")
    assert db.counters == {("lumajang", 2026): 1}
    checked = await verify_letter(db.unit_of_work, letter_id, signed.content_sha256 or "")
    assert checked["genuine"] is True and checked["letter"]["number"] == signed.letter_number


async def test_a_returned_letter_is_resubmitted_from_step_one() -> None:
    db = FakeDocuments()
    letter_id = await drafted(db)
    back = await return_letter(
        db.unit_of_work, ReturnLetter(letter_id=letter_id, comment="Perbaiki"), SUB, uuid4()
    )
    assert back.status == "returned" and back.returns[0].comment == "Perbaiki"
    again = await resubmit_letter(
        db.unit_of_work,
        CATALOGUE,
        ResubmitLetter(letter_id=letter_id, body="Isi baru"),
        OFFICER,
        uuid4(),
    )
    assert (again.status, again.revision, again.body, again.step) == ("in_review", 2, "Isi baru", 1)


async def test_refusals_carry_their_status_and_write_nothing() -> None:
    db = FakeDocuments()
    letter_id = await drafted(db)
    before = len(db.events.committed)
    with pytest.raises(Refused) as err:  # the signer before the approvals
        await sign_letter(
            db.unit_of_work, CATALOGUE, SignLetter(letter_id=letter_id), SECRETARY, uuid4()
        )
    assert (err.value.code, err.value.status) == ("letter_not_approved", 409)
    assert db.counters == {}  # refused before a number was taken
    with pytest.raises(Refused) as err:  # nobody of this chain
        await approve_letter(db.unit_of_work, ApproveLetter(letter_id=letter_id), FO, uuid4())
    assert (err.value.code, err.value.status) == ("wrong_role", 403)
    kupang = staff("kupang", Role.SUB_COORDINATOR)
    with pytest.raises(Refused) as err:
        await approve_letter(db.unit_of_work, ApproveLetter(letter_id=letter_id), kupang, uuid4())
    assert (err.value.code, err.value.status) == ("wrong_office", 403)
    with pytest.raises(Refused) as err:
        await approve_letter(db.unit_of_work, ApproveLetter(letter_id=uuid4()), SUB, uuid4())
    assert (err.value.code, err.value.status) == ("letter_not_found", 404)
    with pytest.raises(Refused) as err:
        await draft_letter(
            db.unit_of_work, CATALOGUE, DraftLetter(case_id=uuid4()), OFFICER, uuid4()
        )
    assert (err.value.code, err.value.status) == ("case_not_found", 404)
    assert len(db.events.committed) == before


async def test_a_draft_waits_for_the_documents_and_dtks() -> None:
    db = FakeDocuments()
    case_id = await register(db, dtks=False)
    with pytest.raises(Refused) as err:
        await draft_letter(
            db.unit_of_work, CATALOGUE, DraftLetter(case_id=case_id), OFFICER, uuid4()
        )
    assert (err.value.code, err.value.status) == ("requirements_incomplete", 409)
    await documents_brought(db, case_id)
    with pytest.raises(Refused) as err:
        await draft_letter(
            db.unit_of_work, CATALOGUE, DraftLetter(case_id=case_id), OFFICER, uuid4()
        )
    assert (err.value.code, err.value.status) == ("dtks_not_verified", 409)


async def casework_appends(db: FakeDocuments, event: CaseAssigned | CaseDelegated) -> EventEnvelope:
    """Casework's fact in the log (its own stream), as the documents consumer receives it."""
    case_id = event.case_id
    meta = EventMetadata(case_id=case_id, office="kupang", actor="staff:kpg-kadis")
    version = await db.events.version(case_stream(case_id))
    [envelope] = await db.events.append(case_stream(case_id), version, [event], meta)
    db.events.commit()
    return envelope


async def kupang_letter_case(db: FakeDocuments) -> UUID:
    case_id = await register(
        db,
        office="kupang",
        service="public-complaint",
        variant="general",
        channel=Channel.LETTER,
        dtks=False,
    )
    on_file = await db.unit_of_work().checklists.peek(case_id)
    fo = staff("kupang", Role.FRONT_OFFICE)
    for requirement in on_file.checklist.required:
        form = "original" if requirement.form == "original" else "copy"
        cmd = ReceiveDocument(case_id=case_id, document_type=requirement.type, form=form)
        await record_document(db.unit_of_work, cmd, fo, uuid4())
    return case_id


async def test_kupang_the_official_casework_disposed_to_drafts_in_that_role() -> None:
    db = FakeDocuments()
    case_id = await kupang_letter_case(db)
    kabid = staff("kupang", Role.HEAD_OF_DIVISION, staff_id="kpg-kabid")
    draft = DraftLetter(case_id=case_id, text="Jawaban")
    with pytest.raises(Refused) as err:
        await draft_letter(db.unit_of_work, CATALOGUE, draft, kabid, uuid4())
    assert (err.value.code, err.value.status) == ("disposition_required", 409)
    disposed = CaseAssigned(
        case_id=case_id,
        assignee="kpg-kabid",
        role=Role.HEAD_OF_DIVISION,
        assigned_by="staff:kpg-kadis",
        kind="disposition",
    )
    envelope = await casework_appends(db, disposed)
    await when_case_disposed_record_drafter(db.unit_of_work(), disposed, envelope)
    # Anyone else, even in the chain's default drafting role, is refused.
    other = staff("kupang", Role.SUB_COORDINATOR, staff_id="kpg-kasubid")
    with pytest.raises(Refused) as err:
        await draft_letter(db.unit_of_work, CATALOGUE, draft, other, uuid4())
    assert (err.value.code, err.value.status) == ("not_assigned", 403)
    letter_id = await draft_letter(db.unit_of_work, CATALOGUE, draft, kabid, uuid4())
    [drafted_event] = await db.events.read_stream(letter_stream(letter_id))
    # The Kabid's draft goes up above the Kabid: the secretary, then the head signs.
    assert drafted_event.data["chain"] == ["secretary", "head_of_office"]
    assert drafted_event.data["drafted_by"] == "staff:kpg-kabid"


async def test_kupang_a_delegation_moves_the_drafting_and_an_older_fact_does_not_undo_it() -> None:
    db = FakeDocuments()
    case_id = await kupang_letter_case(db)
    disposed = CaseAssigned(
        case_id=case_id,
        assignee="kpg-kabid",
        role=Role.HEAD_OF_DIVISION,
        assigned_by="staff:kpg-kadis",
        kind="disposition",
    )
    first = await casework_appends(db, disposed)
    delegated = CaseDelegated(
        case_id=case_id,
        by="staff:kpg-kabid",
        assignee="kpg-kasubid",
        role=Role.SUB_COORDINATOR,
        from_role=Role.HEAD_OF_DIVISION,
    )
    second = await casework_appends(db, delegated)
    await when_case_delegated_record_drafter(db.unit_of_work(), delegated, second)
    await when_case_disposed_record_drafter(db.unit_of_work(), disposed, first)  # redelivered
    kabid = staff("kupang", Role.HEAD_OF_DIVISION, staff_id="kpg-kabid")
    draft = DraftLetter(case_id=case_id, text="Jawaban")
    with pytest.raises(Refused) as err:
        await draft_letter(db.unit_of_work, CATALOGUE, draft, kabid, uuid4())
    assert err.value.code == "not_assigned"
    kasubid = staff("kupang", Role.SUB_COORDINATOR, staff_id="kpg-kasubid")
    letter_id = await draft_letter(db.unit_of_work, CATALOGUE, draft, kasubid, uuid4())
    [drafted_event] = await db.events.read_stream(letter_stream(letter_id))
    assert drafted_event.data["chain"] == ["head_of_division", "secretary", "head_of_office"]


async def test_an_assignment_that_is_not_a_disposition_names_no_drafter() -> None:
    db = FakeDocuments()
    case_id = await kupang_letter_case(db)
    assigned = CaseAssigned(
        case_id=case_id, assignee="kpg-x", role=Role.OFFICER, assigned_by="staff:kpg-kabid"
    )
    envelope = await casework_appends(db, assigned)
    await when_case_disposed_record_drafter(db.unit_of_work(), assigned, envelope)
    assert case_id not in db.drafters


async def test_a_stream_moved_meanwhile_is_decided_again() -> None:
    db = FakeDocuments()
    case_id = await register(db)

    async def another_desk_records_the_kk() -> None:  # between our load and our append
        event = DocumentReceived(
            case_id=case_id, document_type="kk", form="copy", checked_by="staff:other"
        )
        meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:other")
        await db.events.append(checklist_stream(case_id), 0, [event], meta)
        db.events.commit()

    db.interfere = another_desk_records_the_kk
    cmd = ReceiveDocument(case_id=case_id, document_type="kks", form="original")
    assert await record_document(db.unit_of_work, cmd, FO, uuid4())
    assert db.loads == 2  # loaded, found the stream moved, loaded and decided again
    types = [e.event_type for e in await db.events.read_stream(checklist_stream(case_id))]
    assert types == ["DocumentReceived", "DocumentReceived", "RequirementsCompleted"]


async def test_the_second_of_two_approvals_of_one_step_is_refused_after_its_retry() -> None:
    db = FakeDocuments()
    letter_id = await drafted(db)

    async def the_other_sub_approves() -> None:
        event = LetterReviewed(
            letter_id=letter_id,
            case_id=(await db.unit_of_work().letters.load(letter_id)).state.letter.case_id,
            step=1,
            role=Role.SUB_COORDINATOR,
            reviewed_by=SUB_2.actor,
        )
        meta = EventMetadata(office="lumajang", actor=SUB_2.actor)
        await db.events.append(letter_stream(letter_id), 1, [event], meta)
        db.events.commit()

    db.interfere = the_other_sub_approves
    with pytest.raises(Refused) as err:
        await approve_letter(db.unit_of_work, ApproveLetter(letter_id=letter_id), SUB, uuid4())
    assert (err.value.code, err.value.status) == ("not_your_step", 409)

    db.interfere = the_other_sub_approves  # with the version the official saw: a conflict
    with pytest.raises(Refused) as err:
        await approve_letter(
            db.unit_of_work,
            ApproveLetter(letter_id=letter_id, expected_version=1),
            KABID,
            uuid4(),
        )
    assert (err.value.code, err.value.status) == ("conflict", 409)


async def test_kupang_asks_to_see_the_original_id_at_the_desk_only() -> None:
    """Kupang's standard: the ID is shown in person; a complaint by letter (or e-mail, or a
    message) attaches a copy or gives a phone number, and is not held back for an original
    it cannot show."""
    db = FakeDocuments()
    required: dict[Channel, set[tuple[str, str, str | None]]] = {}
    for channel in (Channel.WALK_IN, Channel.LETTER, Channel.EMAIL):
        case_id = await register(
            db,
            office="kupang",
            service="public-complaint",
            variant="general",
            channel=channel,
            dtks=False,
        )
        on_file = await db.unit_of_work().checklists.peek(case_id)
        required[channel] = {
            (r.type, r.form, r.alternative_group) for r in on_file.checklist.required
        }
    shown = ("id_card", "original", None)
    copy_or_phone = {("id_card", "copy", "lampiran"), ("phone_number", "either", "lampiran")}
    assert required[Channel.WALK_IN] == {shown, *copy_or_phone}
    assert required[Channel.LETTER] == required[Channel.EMAIL] == copy_or_phone


def test_a_requirement_may_only_name_channels_its_service_offers() -> None:
    from shared.catalogue.model import ServiceStandard

    raw = CATALOGUE.office("kupang").service("public-complaint").model_dump(mode="json")
    raw["variants"]["general"]["required_documents"][0]["channels"] = ["telephone"]
    with pytest.raises(ValueError, match="telephone is not one of the service's channels"):
        ServiceStandard.model_validate(raw)
