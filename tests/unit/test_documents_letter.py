"""The letter aggregate of the documents service: chain, decisions, number, content."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.documents.domain import letter as model
from services.documents.domain.checklist import Checklist, Received, Requirement
from services.documents.domain.content import (
    compose_letter,
    content_sha256,
    letter_content,
    mask_nik,
)
from services.documents.domain.numbering import (
    format_letter_number,
    office_code,
    roman_month,
)
from shared.catalogue import ApprovalStep, load_catalogue
from shared.contracts.base import Event
from shared.contracts.events import (
    Applicant,
    LetterApproved,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
)
from shared.contracts.vocab import Role
from shared.localtime import local_date
from shared.refusal import Refused

CATALOGUE = load_catalogue()
LUMAJANG = CATALOGUE.office("lumajang")
KKS = LUMAJANG.service("kks-recommendation")
RESET_PIN = KKS.variant("reset-pin")
OFFICER, SUB, KABID, SEC = Role.OFFICER, Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION, Role.SECRETARY


def complete_checklist() -> Checklist:
    required = tuple(Requirement.from_catalogue(d) for d in RESET_PIN.required_documents)
    return Checklist(
        case_id=uuid4(),
        variant="reset-pin",
        required=required,
        received={
            ("ktp", "copy"): Received("ktp", "copy", "staff:fo"),
            ("kks", "original"): Received("kks", "original", "staff:fo"),
        },
    )


def drafted_events(**overrides: object) -> list[Event]:
    plan = model.plan_chain(KKS.approval_chain)
    kwargs: dict[str, object] = {
        "letter_id": uuid4(),
        "checklist": complete_checklist(),
        "plan": plan,
        "product": model.choose_product(KKS, RESET_PIN, None),
        "subject": "Surat Rekomendasi Pengurusan Reset PIN",
        "body": "Isi surat",
        "actor": "staff:officer",
        "roles": {OFFICER},
        "requires_dtks": KKS.requires_dtks,
        "dtks_status": "verified",
    }
    kwargs.update(overrides)
    return model.draft(**kwargs)  # type: ignore[arg-type]


def play(events: Sequence[Event]) -> model.Letter:
    letter = model.fold(events)
    assert letter is not None
    return letter


def test_lumajang_chain_officer_drafts_then_two_approvals_and_the_secretary_signs() -> None:
    plan = model.plan_chain(KKS.approval_chain)
    assert plan.drafter is OFFICER
    assert plan.chain == (SUB, KABID, SEC)

    history = drafted_events()
    drafted = history[0]
    assert isinstance(drafted, LetterDrafted)
    assert drafted.letter_type == "kks_reset_pin_recommendation"
    assert drafted.product == "reset-pin-letter"
    letter = play(history)
    assert (letter.status, letter.current_role, letter.current_action) == (
        "in_review",
        SUB,
        "approve",
    )

    first = model.approve(letter, actor="staff:sub", roles={SUB}, comment="ok")
    assert [type(e) for e in first] == [LetterReviewed]
    history += first
    letter = play(history)
    assert letter.current_role is KABID and letter.remaining == (KABID, SEC)

    second = model.approve(letter, actor="staff:kabid", roles={KABID})
    assert [type(e) for e in second] == [LetterReviewed, LetterApproved]
    approved = second[1]
    assert isinstance(approved, LetterApproved)
    assert approved.approved_by == ("staff:sub", "staff:kabid")
    history += second
    letter = play(history)
    assert (letter.status, letter.current_role, letter.current_action) == ("approved", SEC, "sign")

    signed = model.sign(
        letter,
        actor="staff:sec",
        roles={SEC},
        letter_number="400.9/0001/427.64/XI/2026",
        content_sha256="ab" * 32,
    )
    assert isinstance(signed[0], LetterSigned) and signed[0].role is SEC
    letter = play(history + signed)
    assert letter.status == "signed" and letter.remaining == () and letter.version == 5
    assert letter.letter_number == "400.9/0001/427.64/XI/2026"


def test_a_role_outside_the_chain_is_the_wrong_role() -> None:
    letter = play(drafted_events())
    with pytest.raises(Refused) as err:
        model.approve(letter, actor="staff:fo", roles={Role.FRONT_OFFICE})
    assert err.value.code == "wrong_role"
    assert err.value.details and err.value.details["required_roles"] == ["sub_coordinator"]


def test_a_chain_role_at_another_step_is_not_your_step() -> None:
    letter = play(drafted_events())
    for roles in ({KABID}, {SEC}):
        with pytest.raises(Refused) as err:
            model.approve(letter, actor="staff:x", roles=roles)
        assert err.value.code == "not_your_step"
    # The signer cannot sign before the approvals are in.
    with pytest.raises(Refused) as err:
        model.ensure_can_sign(letter, {SEC})
    assert err.value.code == "letter_not_approved"
    with pytest.raises(Refused) as err:
        model.ensure_can_sign(letter, {Role.FRONT_OFFICE})
    assert err.value.code == "wrong_role"


def test_approve_or_sign_after_signed_is_refused() -> None:
    history = drafted_events()
    history += model.approve(play(history), actor="staff:sub", roles={SUB})
    history += model.approve(play(history), actor="staff:kabid", roles={KABID})
    history += model.sign(
        play(history), actor="staff:sec", roles={SEC}, letter_number="n", content_sha256="h"
    )
    letter = play(history)
    with pytest.raises(Refused) as err:
        model.approve(letter, actor="staff:sub", roles={SUB})
    assert err.value.code == "letter_already_signed"
    with pytest.raises(Refused) as err:
        model.sign(letter, actor="s", roles={SEC}, letter_number="m", content_sha256="h")
    assert err.value.code == "letter_already_signed"
    with pytest.raises(Refused) as err:
        model.return_(letter, actor="staff:sec", roles={SEC}, comment="x")
    assert err.value.code == "letter_already_signed"


def test_approve_at_the_signature_step_says_it_awaits_the_signature() -> None:
    history = drafted_events()
    history += model.approve(play(history), actor="staff:sub", roles={SUB})
    history += model.approve(play(history), actor="staff:kabid", roles={KABID})
    with pytest.raises(Refused) as err:
        model.approve(play(history), actor="staff:sec", roles={SEC})
    assert err.value.code == "awaiting_signature"


def test_return_then_resubmit_starts_the_chain_again() -> None:
    history = drafted_events()
    history += model.approve(play(history), actor="staff:sub", roles={SUB})
    returned = model.return_(play(history), actor="staff:kabid", roles={KABID}, comment="NIK salah")
    assert isinstance(returned[0], LetterReturned) and returned[0].step == 2
    history += returned
    letter = play(history)
    assert letter.status == "returned" and letter.current_role is None
    with pytest.raises(Refused) as err:
        model.approve(letter, actor="staff:kabid", roles={KABID})
    assert err.value.code == "letter_returned"
    with pytest.raises(Refused) as err:
        model.resubmit(letter, actor="staff:sub", roles={SUB}, plan=model.ChainPlan(OFFICER, ()))
    assert err.value.code == "wrong_role"

    history += model.resubmit(
        letter,
        actor="staff:officer",
        roles={OFFICER},
        plan=model.ChainPlan(OFFICER, ()),
        body="Isi diperbaiki",
    )
    letter = play(history)
    assert (letter.status, letter.step, letter.revision) == ("in_review", 1, 2)
    assert letter.approvals == () and letter.body == "Isi diperbaiki"
    assert letter.current_role is SUB


def test_draft_refusals() -> None:
    missing_kks = Checklist(
        case_id=uuid4(),
        variant="reset-pin",
        required=tuple(Requirement.from_catalogue(d) for d in RESET_PIN.required_documents),
        received={("kk", "copy"): Received("kk", "copy", "staff:fo")},
    )
    with pytest.raises(Refused) as err:
        drafted_events(checklist=missing_kks)
    assert err.value.code == "requirements_incomplete"
    assert err.value.details is not None and err.value.details["missing"] == ["kks"]
    assert err.value.details["missing_documents"] == [
        {"types": ["kks"], "names": ["Kartu Kesejahteraan Sosial (KKS)"], "form": "original"}
    ]
    assert "Kartu Kesejahteraan Sosial (KKS)" in err.value.message

    with pytest.raises(Refused) as err:
        drafted_events(requires_dtks=True, dtks_status="not_found")
    assert err.value.code == "dtks_not_verified"

    with pytest.raises(Refused) as err:
        drafted_events(roles={SUB})
    assert err.value.code == "wrong_role"

    other = uuid4()
    with pytest.raises(Refused) as err:
        drafted_events(existing=[(other, "reset-pin-letter", "returned")])
    assert err.value.code == "letter_already_drafted"
    with pytest.raises(Refused) as err:
        drafted_events(existing=[(other, "reset-pin-letter", "signed")])
    assert err.value.code == "letter_already_issued"
    assert drafted_events(requires_dtks=True, dtks_status="verified")


def test_chains_the_service_cannot_run_are_refused() -> None:
    with pytest.raises(Refused) as err:
        model.plan_chain(())
    assert err.value.code == "no_letter_workflow"
    # Pariaman: the back office prints, the head of office signs (nothing to approve).
    pariaman = CATALOGUE.office("pariaman").service("dtks-certificate")
    plan = model.plan_chain(pariaman.approval_chain)
    assert (plan.drafter, plan.chain, plan.assigner) == (
        Role.BACK_OFFICE,
        (Role.HEAD_OF_OFFICE,),
        None,
    )
    # Kupang: the head's disposition comes before the draft; it is not a letter step.
    kupang = CATALOGUE.office("kupang").service("public-complaint")
    plan = model.plan_chain(kupang.approval_chain)
    assert plan.drafter is SUB
    assert plan.chain == (KABID, SEC, Role.HEAD_OF_OFFICE)
    assert plan.assigner is Role.HEAD_OF_OFFICE
    steps = [
        ApprovalStep(role=OFFICER, action="draft", label="draf"),
        ApprovalStep(role=SEC, action="sign", label="tanda tangan"),
        ApprovalStep(role=KABID, action="approve", label="setuju"),
    ]
    with pytest.raises(Refused):
        model.plan_chain(steps)


def test_a_signature_alone_is_approved_at_draft() -> None:
    steps = [
        ApprovalStep(role=OFFICER, action="draft", label="draf"),
        ApprovalStep(role=SEC, action="sign", label="tanda tangan"),
    ]
    events = drafted_events(plan=model.plan_chain(steps))
    assert [type(e) for e in events] == [LetterDrafted, LetterApproved]
    assert play(events).current_action == "sign"


def test_letter_number_scheme_with_roman_month() -> None:
    assert [roman_month(m) for m in (1, 4, 9, 11, 12)] == ["I", "IV", "IX", "XI", "XII"]
    number = format_letter_number(
        classification_code="400.9", sequence=1, office_code="LMJ-DINSOS", on=date(2026, 11, 3)
    )
    assert number == "400.9/0001/LMJ-DINSOS/XI/2026"
    assert office_code("427.64", "lumajang") == "427.64"
    assert office_code(None, "lumajang") == "LUMAJANG"
    with pytest.raises(ValueError, match="range"):
        roman_month(13)


def test_the_date_on_a_letter_is_the_office_s_local_date() -> None:
    late = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 23:30 WIB, 00:30 WITA on 1 Nov
    assert local_date(late, "35.08") == date(2026, 10, 31)  # Lumajang, WIB
    assert local_date(late, "52.71") == date(2026, 11, 1)  # Mataram, WITA


def test_a_bank_letter_carries_the_full_nik_and_the_hash_is_canonical() -> None:
    assert mask_nik("3508014101900001") == "3508********0001"
    product = KKS.product("reset-pin-letter")
    subject, body = compose_letter(
        office=LUMAJANG,
        service=KKS,
        variant=RESET_PIN,
        product=product,
        ticket_number="LMJ-2026-000001",
        applicant=Applicant(name="Warga Contoh", nik="3508014101900001"),
        programmes=("BPNT",),
    )
    assert subject == "Surat Rekomendasi Pengurusan Reset PIN"
    assert "Warga Contoh" in body and "3508014101900001" in body  # to the bank: full
    assert "BPNT" in body
    content = letter_content(
        letter_number="400.9/0001/427.64/XI/2026",
        on=date(2026, 11, 3),
        office=LUMAJANG,
        subject=subject,
        body=body,
        signatory=LUMAJANG.signatory(SEC),
    )
    again = dict(reversed(list(content.items())))
    assert content_sha256(content) == content_sha256(again)
    assert len(content_sha256(content)) == 64
    assert content_sha256({**content, "body": body + "."}) != content_sha256(content)


def test_where_a_disposition_comes_first_the_disposed_official_drafts_in_their_role() -> None:
    kupang = model.plan_chain(CATALOGUE.office("kupang").service("public-complaint").approval_chain)
    kabid = model.Disposed("kpg-kabid", KABID)
    refusals: list[tuple[str, set[Role], model.Disposed | None, str]] = [
        ("staff:kpg-kabid", {KABID}, None, "disposition_required"),
        ("staff:kpg-other", {KABID}, kabid, "not_assigned"),
        ("staff:kpg-other", {SUB}, kabid, "not_assigned"),
        ("staff:kpg-kabid", {SUB}, kabid, "wrong_role"),
    ]
    for actor, roles, disposed, code in refusals:
        with pytest.raises(Refused) as err:
            model.drafting_role(kupang, actor, roles, disposed)
        assert err.value.code == code, (actor, roles, code)
    assert model.drafting_role(kupang, "staff:kpg-kabid", {KABID}, kabid) is KABID
    # Without a disposition step the chain's draft role drafts, whoever they are.
    kks = model.plan_chain(KKS.approval_chain)
    assert model.drafting_role(kks, "staff:any", {OFFICER}, None) is OFFICER
    with pytest.raises(Refused) as err:
        model.drafting_role(kks, "staff:any", {SUB}, None)
    assert err.value.code == "wrong_role"


def test_a_draft_goes_up_the_chain_above_its_drafter_s_rank() -> None:
    kupang = model.plan_chain(CATALOGUE.office("kupang").service("public-complaint").approval_chain)
    assert model.chain_above(kupang, SUB) == (KABID, SEC, Role.HEAD_OF_OFFICE)
    assert model.chain_above(kupang, KABID) == (SEC, Role.HEAD_OF_OFFICE)
    assert model.chain_above(kupang, SEC) == (Role.HEAD_OF_OFFICE,)
    # A secretary's draft has nothing left to approve: it waits for the signature.
    events = drafted_events(
        plan=kupang, actor="staff:kpg-sek", roles={SEC}, disposed=model.Disposed("kpg-sek", SEC)
    )
    assert [type(e) for e in events] == [LetterDrafted, LetterApproved]


def test_a_signed_letter_is_issued_once_and_carries_the_promise() -> None:
    from shared.contracts.documents_events import CompletionPromise, LetterIssued
    from shared.contracts.vocab import Channel, DurationUnit

    promise = CompletionPromise(value=1, unit=DurationUnit.WORKING_DAYS, label="1 hari kerja")
    requested = datetime(2026, 11, 23, 1, tzinfo=UTC)
    history = drafted_events(requested_at=requested, promise=promise)
    letter = play(history)
    with pytest.raises(Refused) as err:
        model.issue(letter, actor="staff:fo", channel=Channel.WALK_IN, issued_at=requested)
    assert err.value.code == "letter_not_signed"
    for role in (SUB, KABID):
        history += model.approve(play(history), actor=f"staff:{role}", roles={role})
    signed_at = datetime(2026, 11, 23, 5, tzinfo=UTC)
    history += model.sign(
        play(history),
        actor="staff:sec",
        roles={SEC},
        letter_number="400.9/0001/427.64/XI/2026",
        content_sha256="0" * 64,
        signed_at=signed_at,
    )
    signed = history[-1]
    assert isinstance(signed, LetterSigned)
    assert (signed.requested_at, signed.promise, signed.signed_at) == (
        requested,
        promise,
        signed_at,
    )
    history += model.issue(
        play(history), actor="staff:fo", channel=Channel.WHATSAPP, issued_at=signed_at
    )
    issued = history[-1]
    assert isinstance(issued, LetterIssued) and issued.channel is Channel.WHATSAPP
    assert issued.promise == promise and issued.requested_at == requested
    with pytest.raises(Refused) as err:
        model.issue(play(history), actor="staff:fo", channel=Channel.WALK_IN, issued_at=signed_at)
    assert err.value.code == "letter_already_handed_over"


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("DTKS", "Data Terpadu Kesejahteraan Sosial (DTKS)"),
        ("DTSEN", "Data Tunggal Sosial dan Ekonomi Nasional (DTSEN)"),
        (None, "Data Terpadu Kesejahteraan Sosial (DTKS)"),
    ],
)
def test_a_letter_names_the_registry_the_nik_was_checked_in(source: str | None, named: str) -> None:
    """The letter names the registry eligibility checked (DTSEN since 2025), spelled out
    correctly; never "Data Terpadu Kesejahteraan Sosial (DTSEN)"."""
    _, body = compose_letter(
        office=LUMAJANG,
        service=KKS,
        variant=RESET_PIN,
        product=KKS.product("reset-pin-letter"),
        ticket_number="LMJ-2026-000001",
        applicant=Applicant(name="Warga Contoh", nik="3508014101900001"),
        dtks_listed=True,
        dtks_source=source,
    )
    assert f"terdaftar dalam {named}." in body
    assert "Kesejahteraan Sosial (DTSEN)" not in body
