"""The case fold, the timeline's redaction and casework's decisions: pure, no I/O."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.casework.domain import lifecycle, referrals, social_work
from services.casework.domain.commands import (
    AssignCase,
    MakeReferral,
    RecordAssessment,
    ResolveCase,
)
from services.casework.domain.model import STATUSES, CaseFact, CaseState, fold
from services.casework.domain.timeline import (
    CASE_EVENT_TYPES,
    entry_from_envelope,
    redact,
    summarize,
)
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseClosed,
    CaseConsulted,
    CaseDelegated,
    CaseReopened,
    CaseWorkStarted,
    CounsellingSessionRecorded,
    ReferralAccepted,
)
from shared.contracts.documents_events import LetterIssued
from shared.contracts.events import (
    Applicant,
    AssessmentRecorded,
    CaseAssigned,
    CaseResolved,
    ComplaintRegistered,
    DocumentReceived,
    DomicileRefused,
    DomicileVerified,
    DtksNotFound,
    DtksVerified,
    LetterApproved,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
    NotificationSent,
    ReferralMade,
    RequirementsCompleted,
)
from shared.contracts.vocab import Channel, Role
from shared.refusal import Refused

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NIK = "3508014101900001"


def facts(events: list[Event], start: int = 100) -> list[CaseFact]:
    """Facts as the timeline keeps them: redacted data, positions in list order."""
    return [
        CaseFact(
            position=start + i,
            event_type=e.event_type,
            data=redact(e.event_type, e.model_dump(mode="json")),
            recorded_at=T0 + timedelta(minutes=i),
            occurred_at=T0 + timedelta(minutes=i),
        )
        for i, e in enumerate(events)
    ]


def statuses(case_id: UUID, events: list[Event]) -> list[str | None]:
    """The status after each prefix of the events."""
    fs = facts(events)
    return [fold(case_id, fs[: i + 1]).status for i in range(len(fs))]


def registered(case_id: UUID, **kw: object) -> ComplaintRegistered:
    base: dict[str, object] = {
        "case_id": case_id,
        "ticket_number": "LMJ-2026-000123",
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": Channel.WALK_IN,
        "applicant": Applicant(name="Warga Contoh", nik=NIK, phone="081200000001"),
        "description": "PIN KKS terblokir.",
        "received_at": T0,
    }
    return ComplaintRegistered.model_validate({**base, **kw})


def lumajang_sequence(case_id: UUID) -> list[Event]:
    letter = uuid4()
    chain = (Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION, Role.SECRETARY)
    draft = LetterDrafted(
        letter_id=letter,
        case_id=case_id,
        letter_type="kks_reset_pin_recommendation",
        product="reset-pin-letter",
        subject="Rekomendasi a.n. Warga Contoh",
        body=f"NIK {NIK}",
        drafted_by="staff:lmj-officer-01",
        chain=chain,
    )
    return [
        registered(case_id),
        DtksVerified(
            case_id=case_id,
            nik=NIK,
            kk_number="3508010101900001",
            region_code="35.08.01.2001",
            decile=2,
            snapshot_date=date(2026, 1, 31),
        ),
        DocumentReceived(case_id=case_id, document_type="ktp", checked_by="staff:fo"),
        DocumentReceived(case_id=case_id, document_type="kks", form="original", checked_by="fo"),
        RequirementsCompleted(case_id=case_id, variant="reset-pin", documents=("ktp", "kks")),
        draft,
        LetterReviewed(
            letter_id=letter, case_id=case_id, step=1, role=Role.SUB_COORDINATOR, reviewed_by="s"
        ),
        LetterReturned(
            letter_id=letter,
            case_id=case_id,
            step=2,
            role=Role.HEAD_OF_DIVISION,
            returned_by="k",
            comment="!",
        ),
        draft,
        LetterReviewed(
            letter_id=letter, case_id=case_id, step=1, role=Role.SUB_COORDINATOR, reviewed_by="s"
        ),
        LetterReviewed(
            letter_id=letter, case_id=case_id, step=2, role=Role.HEAD_OF_DIVISION, reviewed_by="k"
        ),
        LetterApproved(letter_id=letter, case_id=case_id, approved_by=("s", "k")),
        LetterSigned(
            letter_id=letter,
            case_id=case_id,
            letter_number="400.9/012/427.64/2026",
            letter_type="kks_reset_pin_recommendation",
            signed_by="staff:lmj-sekdin-01",
            role=Role.SECRETARY,
            content_sha256="0" * 64,
        ),
        CaseResolved(case_id=case_id, outcome="letter_issued", resolved_by="system:casework"),
        NotificationSent(
            case_id=case_id,
            notification_id=uuid4(),
            channel=Channel.WALK_IN,
            template="letter_signed",
            recipient="0812****0001",
        ),
    ]


def lk3_sequence(case_id: UUID) -> list[Event]:
    return [
        registered(
            case_id,
            ticket_number="MTR-2026-000042",
            office="mataram",
            service="lk3-consultation",
            variant="family-counselling",
            channel=Channel.INSTAGRAM,
            confidential=True,
        ),
        DomicileVerified(case_id=case_id, region_code="52.71", basis="nik_region"),
        CaseAssigned(
            case_id=case_id, assignee="mtr-sw-01", role=Role.SOCIAL_WORKER, assigned_by="k"
        ),
        AssessmentRecorded(case_id=case_id, recorded_by="staff:mtr-sw-01", summary="rahasia"),
        CaseAssigned(
            case_id=case_id, assignee="mtr-psy-01", role=Role.PSYCHOLOGIST, assigned_by="k"
        ),
        ReferralMade(
            case_id=case_id,
            referral_id=uuid4(),
            agency="dinas-kesehatan",
            reason="Pemeriksaan lanjutan.",
            referred_by="staff:mtr-sw-01",
        ),
        CaseResolved(case_id=case_id, outcome="referred", resolved_by="staff:mtr-sw-01"),
    ]


def test_lumajang_letter_case_goes_through_every_stage() -> None:
    case_id = uuid4()
    assert statuses(case_id, lumajang_sequence(case_id)) == [
        "registered",
        "eligible",
        "eligible",
        "eligible",
        "documents_complete",
        "letter_drafted",
        "letter_in_approval",
        "letter_returned",
        "letter_drafted",
        "letter_in_approval",
        "letter_in_approval",
        "letter_approved",
        "letter_signed",
        "resolved",
        "resolved",
    ]
    state = fold(case_id, facts(lumajang_sequence(case_id)))
    assert state.office == "lumajang" and state.ticket_number == "LMJ-2026-000123"
    assert state.opened_at == T0
    assert state.outcome == "letter_issued" and state.resolved_at == T0 + timedelta(minutes=13)
    assert state.letter_number == "400.9/012/427.64/2026"
    assert state.last_position == 114


def test_lk3_case_assigned_assessed_referred_resolved() -> None:
    case_id = uuid4()
    assert statuses(case_id, lk3_sequence(case_id)) == [
        "registered",
        "eligible",
        "assigned",
        "in_progress",
        "in_progress",
        "referred",
        "resolved",
    ]
    state = fold(case_id, facts(lk3_sequence(case_id)))
    assert state.assigned_to == "mtr-psy-01" and state.assignee_role == "psychologist"
    assert state.care_team == ("mtr-sw-01", "mtr-psy-01")
    assert state.referrals == ("dinas-kesehatan",)
    assert state.confidential is True


@pytest.mark.parametrize("sequence", [lumajang_sequence, lk3_sequence])
def test_out_of_order_arrival_folds_to_the_in_order_state(sequence: object) -> None:
    case_id = uuid4()
    in_order = facts(sequence(case_id))  # type: ignore[operator]
    expected = fold(case_id, in_order)
    rng = random.Random(7)
    for _ in range(50):
        shuffled = in_order[:]
        rng.shuffle(shuffled)
        assert fold(case_id, shuffled) == expected


def test_refusals_make_the_case_not_eligible_until_verified() -> None:
    case_id = uuid4()
    assert statuses(
        case_id,
        [
            registered(case_id, office="mataram", service="lk3-consultation"),
            DomicileRefused(
                case_id=case_id,
                required_region_code="52.71",
                found_region_code="52.01",
                basis="nik_region",
            ),
        ],
    ) == ["registered", "not_eligible"]
    assert statuses(
        case_id,
        [
            registered(case_id),
            RequirementsCompleted(case_id=case_id, variant="reset-pin", documents=("ktp",)),
            DtksNotFound(case_id=case_id, nik=NIK, reason="not_listed"),
            DtksVerified(
                case_id=case_id,
                nik=NIK,
                kk_number="3508010101900001",
                region_code="35.08.01.2001",
                snapshot_date=date(2026, 2, 1),
            ),
        ],
    ) == ["registered", "documents_complete", "not_eligible", "documents_complete"]


def test_events_before_the_registration_give_no_case_yet() -> None:
    case_id = uuid4()
    state = fold(case_id, facts([DtksNotFound(case_id=case_id, nik=None, reason="nik_missing")]))
    assert state.status is None and not state.registered


def test_first_resolution_stands() -> None:
    case_id = uuid4()
    state = fold(
        case_id,
        facts(
            [
                registered(case_id),
                CaseResolved(case_id=case_id, outcome="answered", resolved_by="a"),
                CaseResolved(case_id=case_id, outcome="letter_issued", resolved_by="b"),
            ]
        ),
    )
    assert state.outcome == "answered"


def test_status_vocabulary_is_what_the_fold_can_produce() -> None:
    assert set(STATUSES) == {
        "registered",
        "eligible",
        "not_eligible",
        "documents_complete",
        "assigned",
        "in_progress",
        "referred",
        "letter_drafted",
        "letter_in_approval",
        "letter_returned",
        "letter_approved",
        "letter_signed",
        "resolved",
        # the lifecycle's own stages
        "front_office",
        "back_office",
        "waiting_for_citizen",
        "waiting_for_agency",
        "answered",
        "closed",
        "forwarded",
        "merged",
    }


# ---- timeline ---------------------------------------------------------------------------


def test_timeline_keeps_no_personal_data_and_says_what_happened() -> None:
    case_id = uuid4()
    for event in lumajang_sequence(case_id) + lk3_sequence(case_id):
        kept = redact(event.event_type, event.model_dump(mode="json"))
        text = str(kept) + summarize(event.event_type, kept)
        assert NIK not in text
        assert "Warga Contoh" not in text
        assert "081200000001" not in text
    reg = redact("ComplaintRegistered", registered(case_id).model_dump(mode="json"))
    assert set(reg) >= {"ticket_number", "office", "service", "channel", "received_at"}
    assert "applicant" not in reg and "description" not in reg
    assert "summary" not in redact(
        "AssessmentRecorded",
        AssessmentRecorded(case_id=case_id, recorded_by="x", summary="rahasia").model_dump(),
    )
    assert summarize("ComplaintRegistered", reg).startswith("Permohonan terdaftar: tiket LMJ-")
    assert "400.9/012/427.64/2026" in summarize(
        "LetterSigned", lumajang_sequence(case_id)[12].model_dump(mode="json")
    )


def test_every_cross_service_event_is_projected() -> None:
    from shared.contracts import casework_events

    assert len(CASE_EVENT_TYPES) >= 17
    assert {"DuplicateConfirmed", "ReplyReceived", "IdCardDeposited"} <= set(CASE_EVENT_TYPES)
    assert {n for n in dir(casework_events) if n.endswith("ed") and n[0].isupper()} >= {
        "CasePaused",
        "CaseMerged",
    }
    assert not {"InboundReceived", "TriageRequested", "GuestBookSigned"} & set(CASE_EVENT_TYPES)
    assert "ComplaintRegistered" in CASE_EVENT_TYPES and "NotificationSent" in CASE_EVENT_TYPES


def test_timeline_entry_from_an_envelope() -> None:
    case_id = uuid4()
    event = registered(case_id)
    envelope = EventEnvelope(
        event_id=uuid4(),
        event_type=event.event_type,
        schema_version=1,
        stream_id=f"complaint-{case_id}",
        stream_version=1,
        global_position=42,
        case_id=None,  # falls back to the payload's case id
        correlation_id=uuid4(),
        actor="citizen",
        channel=Channel.WALK_IN,
        occurred_at=T0,
        recorded_at=T0 + timedelta(seconds=1),
        data=event.model_dump(mode="json"),
    )
    entry = entry_from_envelope(envelope)
    assert entry is not None
    assert entry.case_id == case_id and entry.position == 42 and entry.channel == "walk_in"
    assert "applicant" not in entry.data
    assert fold(case_id, [entry.fact]).status == "registered"


def _envelope_of(event: Event, actor: str) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid4(),
        event_type=event.event_type,
        schema_version=1,
        stream_id=f"case-{uuid4()}",
        stream_version=1,
        global_position=7,
        case_id=None,
        correlation_id=uuid4(),
        actor=actor,
        channel=None,
        occurred_at=T0,
        recorded_at=T0,
        data=event.model_dump(mode="json"),
    )


def test_a_timeline_line_names_its_actor_once() -> None:
    """The dashboard shows the row's actor beside each line ("oleh staff:…"): a line does
    not name them again ("Jawaban diberikan oleh staff:kc-test oleh staff:kc-test")."""
    case_id = uuid4()
    me = "staff:kc-test"
    events: list[Event] = [
        CaseAnswered(case_id=case_id, by=me, answer="rahasia"),
        CaseClosed(case_id=case_id, by=me, reason="selesai"),
        CaseWorkStarted(case_id=case_id, by=me),
        CaseAssigned(case_id=case_id, assignee="sw-1", role=Role.SOCIAL_WORKER, assigned_by=me),
        CaseAssigned(
            case_id=case_id,
            assignee="kabid",
            role=Role.HEAD_OF_DIVISION,
            assigned_by=me,
            kind="disposition",
        ),
        CaseDelegated(
            case_id=case_id,
            by=me,
            assignee="kasi",
            role=Role.SUB_COORDINATOR,
            from_role=Role.HEAD_OF_DIVISION,
        ),
        AssessmentRecorded(case_id=case_id, recorded_by=me, summary="rahasia"),
        CounsellingSessionRecorded(case_id=case_id, by=me, session=2, notes="rahasia"),
        ReferralAccepted(case_id=case_id, by=me, referral_id=uuid4()),
        *(e for e in lumajang_sequence(case_id) if e.event_type.startswith("Letter")),
    ]
    lines = {}
    for event in events:
        doer = next(
            (
                str(getattr(event, f))
                for f in ("by", "drafted_by", "reviewed_by", "returned_by", "signed_by")
                if getattr(event, f, None)
            ),
            getattr(event, "assigned_by", me),
        )
        entry = entry_from_envelope(_envelope_of(event, doer))
        assert entry is not None
        assert " oleh " not in entry.summary, entry.summary
        lines[event.event_type, getattr(event, "kind", "")] = entry.summary
    assert lines["CaseAnswered", ""] == "Jawaban diberikan"
    assert lines["CaseClosed", ""] == "Kasus ditutup: selesai"
    # Roles as staff read them, not their ids.
    assert lines["CaseAssigned", "assignment"] == "Kasus ditugaskan kepada sw-1 (Pekerja sosial)"
    assert lines["CaseAssigned", "disposition"] == "Disposisi kepada kabid (Kepala Bidang)"
    assert lines["CaseDelegated", ""] == (
        "Didelegasikan dari Kepala Bidang kepada kasi (Sub-koordinator)"
    )
    # Someone other than the row's actor is still named; without an actor, the doer is.
    answered = CaseAnswered(case_id=case_id, by=me).model_dump(mode="json")
    assert summarize("CaseAnswered", answered, "system:casework") == (
        "Jawaban diberikan oleh staff:kc-test"
    )
    assert summarize("CaseAnswered", answered) == "Jawaban diberikan oleh staff:kc-test"
    entry = entry_from_envelope(
        _envelope_of(CaseClosed(case_id=case_id, by=me, reason="x"), "system:casework")
    )
    assert entry is not None and entry.summary == "Kasus ditutup oleh staff:kc-test: x"


def test_a_resolution_reads_as_words_not_its_code() -> None:
    case_id = uuid4()
    by_letter = CaseResolved(
        case_id=case_id,
        outcome="letter_issued",
        resolved_by="system:casework",
        reason="Surat telah ditandatangani.",
    ).model_dump(mode="json")
    assert summarize("CaseResolved", by_letter, "system:casework") == (
        "Kasus selesai (surat ditandatangani): Surat telah ditandatangani."
    )
    # No UTC timestamp inside a sentence: the row's time and the case page's due time are
    # shown in the office's zone.
    breached = {"case_id": str(case_id), "due_at": "2026-11-30T03:00:00Z", "step": None}
    assert summarize("DeadlineBreached", breached) == "Batas waktu layanan terlampaui"
    step = {**breached, "step": "assessment"}
    assert summarize("DeadlineBreached", step) == "Batas waktu langkah asesmen awal terlampaui"
    assert summarize("DtksNotFound", {"reason": "not_listed"}) == (
        "Tidak terverifikasi dalam DTKS: tidak terdaftar"
    )
    other = CaseResolved(case_id=case_id, outcome="sudah_dibantu", resolved_by="staff:k")
    assert summarize("CaseResolved", other.model_dump(mode="json"), "staff:k") == (
        "Kasus selesai (sudah dibantu)"
    )


# ---- decisions ----------------------------------------------------------------------------


def test_decisions_refuse_with_reasons() -> None:
    case_id = uuid4()
    state = CaseState(case_id=case_id)
    (assigned,) = lifecycle.assign(
        state, AssignCase(assignee="sw-1", role=Role.SOCIAL_WORKER), by="staff:kabid"
    )
    state = fold(case_id, facts([assigned]))
    with pytest.raises(Refused) as refused:
        social_work.record_assessment(
            state, RecordAssessment(summary="x"), staff_id="sw-2", by="staff:sw-2"
        )
    assert refused.value.code == "not_assignee" and refused.value.status == 403
    with pytest.raises(Refused) as refused:
        lifecycle.assign(
            state, AssignCase(assignee="sw-1", role=Role.SOCIAL_WORKER), by="staff:kabid"
        )
    assert refused.value.code == "already_assigned"
    (assessment,) = social_work.record_assessment(
        state, RecordAssessment(summary="x"), staff_id="sw-1", by="staff:sw-1"
    )
    (referral,) = referrals.refer(
        state, MakeReferral(agency="bpjs", reason="r"), referral_id=uuid4(), by="staff:sw-1"
    )
    (resolution,) = lifecycle.resolve(state, ResolveCase(outcome="referred"), by="staff:sw-1")
    state = fold(case_id, facts([assigned, assessment, referral, resolution]))
    attempts: tuple[Callable[[], object], ...] = (
        lambda: lifecycle.resolve(state, ResolveCase(outcome="answered"), by="x"),
        lambda: lifecycle.assign(state, AssignCase(assignee="y", role=Role.OFFICER), by="x"),
        lambda: referrals.refer(
            state, MakeReferral(agency="pkh", reason="r"), referral_id=uuid4(), by="x"
        ),
    )
    for attempt in attempts:
        with pytest.raises(Refused) as refused:
            attempt()
        assert refused.value.code == "already_resolved" and refused.value.status == 409


def test_a_letter_handed_over_closes_the_case_its_letter_resolved() -> None:
    """Lumajang's last step, "pemohon menerima surat": the letter handed over (or sent)
    closes the case; the citizen's status says where the letter is all along."""
    case_id = uuid4()
    events = lumajang_sequence(case_id)
    signed = next(e for e in events if isinstance(e, LetterSigned))
    state = fold(case_id, facts(events))
    assert (state.stage, state.public_status) == ("resolved", "letter_signed")
    issued = LetterIssued(
        letter_id=signed.letter_id,
        case_id=case_id,
        letter_number=signed.letter_number,
        letter_type=signed.letter_type,
        issued_at=T0,
        channel=Channel.WALK_IN,
        issued_by="staff:lmj-fo-01",
    )
    state = fold(case_id, facts([*events, issued]))
    assert (state.stage, state.public_status) == ("resolved", "letter_issued")
    (closed,) = lifecycle.close_when_letter_issued(
        state, goes_on_after_letter=False, channel="walk_in"
    )
    assert (
        closed.by == "system:casework" and closed.reason == "Surat telah diserahkan kepada pemohon."
    )
    after = fold(case_id, facts([*events, issued, closed]))
    assert (after.stage, after.public_status) == ("closed", "letter_issued")
    # Once: a redelivery, or a case closed meanwhile, closes nothing.
    assert (
        lifecycle.close_when_letter_issued(after, goes_on_after_letter=False, channel="walk_in")
        == []
    )
    # Pariaman goes on after its certificate (the referral): left resolved for staff.
    assert (
        lifecycle.close_when_letter_issued(state, goes_on_after_letter=True, channel="email") == []
    )
    # Reopened after its letter: the new work is not closed by the old letter.
    reopened = fold(
        case_id,
        facts([*events, CaseReopened(case_id=case_id, by="staff:k", reason="Salah NIK.")]),
    )
    assert (
        lifecycle.close_when_letter_issued(reopened, goes_on_after_letter=False, channel="post")
        == []
    )
    # Closed by staff before the letter was handed over: "closed", not "letter_issued".
    by_staff = fold(case_id, facts([*events, CaseClosed(case_id=case_id, by="staff:k")]))
    assert by_staff.public_status == "closed"
    # Staff see (and filter) the stage's own status all along.
    assert (state.status, after.status) == ("resolved", "closed")


def test_letter_signed_policy_resolves_only_an_open_case() -> None:
    case_id = uuid4()
    (resolution,) = lifecycle.resolve_when_letter_signed(CaseState(case_id=case_id))
    assert resolution.outcome == "letter_issued" and resolution.resolved_by == "system:casework"
    closed = fold(case_id, facts([resolution]))
    assert lifecycle.resolve_when_letter_signed(closed) == []


def test_the_lk3_clock_stands_while_the_client_is_in_counselling() -> None:
    """Mataram's LK3 standard: 7 working days "di luar konseling 3 atau 4 kali pertemuan".
    The clock stands from the case consultation (the client handed to the psychologist)
    until the case moves on; sessions three weeks apart do not make it overdue. A pause
    for the citizen during counselling does not end the counselling's own pause."""
    from services.casework.adapters.calendar import office_calendar
    from services.casework.domain.standards import CaseStandards
    from shared.catalogue import load_catalogue
    from shared.contracts.casework_events import CasePaused, CaseResumed

    standards = CaseStandards(load_catalogue(), office_calendar)
    case_id = uuid4()
    monday = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09.00 WITA
    timed: list[tuple[Event, datetime]] = [
        (lk3_sequence(case_id)[0].model_copy(update={"received_at": monday}), monday),
        (lk3_sequence(case_id)[1], monday),
        (lk3_sequence(case_id)[2], monday + timedelta(hours=1)),
        (CaseWorkStarted(case_id=case_id, by="staff:mtr-sw-01"), monday + timedelta(hours=2)),
        (
            CaseConsulted(case_id=case_id, by="s", psychologist="mtr-psy-01"),
            monday + timedelta(days=1),
        ),
        (
            CounsellingSessionRecorded(case_id=case_id, by="p", session=1),
            monday + timedelta(days=8),
        ),
        (
            CasePaused(case_id=case_id, by="staff:x", waiting_for="citizen"),
            monday + timedelta(days=9),
        ),
        (CaseResumed(case_id=case_id, by="staff:x"), monday + timedelta(days=10)),
        (
            CounsellingSessionRecorded(case_id=case_id, by="p", session=2),
            monday + timedelta(days=15),
        ),
        (
            CounsellingSessionRecorded(case_id=case_id, by="p", session=3),
            monday + timedelta(days=22),
        ),
    ]
    fs = [
        CaseFact(
            position=100 + i,
            event_type=e.event_type,
            data=redact(e.event_type, e.model_dump(mode="json")),
            recorded_at=at,
            occurred_at=at,
        )
        for i, (e, at) in enumerate(timed)
    ]
    consulted = fold(case_id, fs[:5])
    assert consulted.clock is not None and consulted.clock.paused
    assert standards.deadline_for(consulted).due_at is None  # type: ignore[union-attr]
    in_counselling = fold(case_id, fs)
    assert in_counselling.clock is not None and in_counselling.clock.paused
    assert in_counselling.clock.pauses[-1].waiting_for == "counselling"
    assert in_counselling.stage == "in_progress"
    # The referral after the third session: the clock runs again with what was left.
    referred_at = monday + timedelta(days=23)
    referral = ReferralMade(
        case_id=case_id, referral_id=uuid4(), agency="uptd-ppa", reason="x", referred_by="s"
    )
    done = fold(
        case_id,
        [
            *fs,
            CaseFact(
                200, "ReferralMade", referral.model_dump(mode="json"), referred_at, referred_at
            ),
        ],
    )
    assert done.clock is not None and not done.clock.paused
    due = standards.deadline_for(done)
    assert due is not None and due.due_at is not None
    # 7 working days less the day before the consultation (Mon 09.00 to Tue 09.00), from
    # the referral on Wed 25 Nov 09.00 WITA: 6 working days later is Thu 3 Dec 09.00.
    assert due.due_at == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def test_every_case_event_has_a_line_of_its_own_in_the_timeline() -> None:
    """Staff read the timeline in Bahasa Indonesia: no event shows its type name
    ("StaffNotified", "LetterIssued") as the line."""
    assert [t for t in CASE_EVENT_TYPES if summarize(t, {}) == t] == []
    issued = {"letter_number": "400/1", "channel": "whatsapp", "issued_by": "staff:a"}
    assert (
        summarize("LetterIssued", issued, "staff:a") == "Surat nomor 400/1 dikirim lewat WhatsApp"
    )
