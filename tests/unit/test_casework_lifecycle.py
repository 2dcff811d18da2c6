# `c.state` is recomputed after each decision; mypy narrows it as if it stood still.
# mypy: disable-error-code="comparison-overlap"
"""The case lifecycle state machine, the deadline decisions, social work, referrals and
the IKM: pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.casework.adapters.calendar import office_calendar
from services.casework.domain import escalation, ikm, lifecycle, referrals, social_work
from services.casework.domain.commands import (
    AnswerCase,
    AnswerReferral,
    AssignCase,
    CloseReferral,
    ForwardCase,
    MakeReferral,
    PauseCase,
    RecordAssessment,
    RecordConsultation,
    RecordCounselling,
    ResolveCase,
    Transition,
)
from services.casework.domain.deadlines import Deadline, clock_deadline
from services.casework.domain.lifecycle import ALLOWED
from services.casework.domain.model import STAGES, CaseFact, CaseState, fold
from services.casework.domain.timeline import redact
from shared.catalogue import load_catalogue
from shared.contracts.base import Event
from shared.contracts.events import Applicant, ComplaintRegistered, DtksNotFound
from shared.contracts.vocab import Channel, Role
from shared.refusal import Refused

T0 = datetime(2026, 8, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 WITA
BY = "staff:kpg-01"
KUPANG = office_calendar("53.71")


class Case:
    """A case's facts, and the decisions applied to its folded state as staff would."""

    def __init__(self, channel: Channel = Channel.LETTER, **kw: object) -> None:
        self.case_id = uuid4()
        self.facts: list[CaseFact] = []
        base: dict[str, object] = {
            "case_id": self.case_id,
            "ticket_number": "KPG-2026-000001",
            "office": "kupang",
            "service": "public-complaint",
            "channel": channel,
            "applicant": Applicant(name="Warga Contoh"),
            "received_at": T0,
        }
        base.update(kw)
        self.add([ComplaintRegistered(**base)], at=T0)

    @property
    def state(self) -> CaseState:
        return fold(self.case_id, self.facts)

    def add(self, events: list[Event], *, at: datetime | None = None, actor: str = BY) -> None:
        when = at or (self.facts[-1].occurred_at + timedelta(minutes=5) if self.facts else T0)
        for e in events:
            self.facts.append(
                CaseFact(
                    position=len(self.facts) + 1,
                    event_type=e.event_type,
                    data=redact(e.event_type, e.model_dump(mode="json")),
                    recorded_at=when,
                    occurred_at=when,
                    actor=actor,
                )
            )

    def do(
        self, decision: object, *args: object, at: datetime | None = None, **kw: object
    ) -> list[Event]:
        events: list[Event] = decision(self.state, *args, **kw)  # type: ignore[operator]
        self.add(events, at=at)
        return events


def refused(case: Case, decision: object, *args: object, **kw: object) -> Refused:
    with pytest.raises(Refused) as info:
        decision(case.state, *args, **kw)  # type: ignore[operator]
    return info.value


def test_the_whole_lifecycle_front_to_back_office_to_closed_and_reopened() -> None:
    c = Case()
    assert c.state.stage == "registered" and c.state.status == "registered"
    c.do(lifecycle.take_up, Transition(reason="Berkas diterima"), by=BY)
    assert c.state.stage == "front_office"
    c.do(lifecycle.hand_to_back_office, Transition(), by=BY)
    assert c.state.stage == "back_office"
    c.do(lifecycle.assign, AssignCase(assignee="kpg-kabid", role=Role.HEAD_OF_DIVISION), by=BY)
    assert c.state.stage == "assigned"
    c.do(lifecycle.start_work, Transition(), staff_id="kpg-kabid", by="staff:kpg-kabid")
    assert c.state.stage == "in_progress"
    c.do(lifecycle.answer, AnswerCase(answer="Jawaban tertulis"), by=BY)
    assert c.state.stage == "answered" and c.state.clock is not None
    assert c.state.clock.stopped_at is not None
    c.do(lifecycle.close, Transition(reason="Selesai"), by=BY)
    assert c.state.stage == "closed" and c.state.status == "closed"
    c.do(lifecycle.reopen, Transition(reason="Warga belum puas"), by=BY)
    state = c.state
    assert state.stage == "in_progress" and state.clock is not None
    assert state.clock.number == 2 and state.clock.stopped_at is None
    c.do(lifecycle.resolve, ResolveCase(outcome="answered"), by=BY)
    assert c.state.stage == "resolved" and c.state.outcome == "answered"


def test_illegal_transitions_are_refused_with_a_machine_readable_reason() -> None:
    c = Case()
    r = refused(c, lifecycle.close, Transition(), by=BY)
    assert r.code == "illegal_transition" and r.status == 409
    assert r.details == {
        "stage": "registered",
        "action": "close",
        "allowed_from": ["answered", "resolved"],
    }
    assert refused(c, lifecycle.resume, Transition(), by=BY).code == "illegal_transition"
    assert refused(
        c, lifecycle.pause, PauseCase(waiting_for="citizen", reason="x"), by=BY
    ).code == ("illegal_transition")
    c.do(lifecycle.resolve, ResolveCase(outcome="answered"), by=BY)
    r = refused(c, lifecycle.take_up, Transition(), by=BY)
    assert r.code == "already_resolved"
    assert refused(c, lifecycle.reopen, Transition(), by=BY).code == "reason_required"
    # Every action's allowed stages are stages of the machine.
    assert all(stages <= set(STAGES) for stages in ALLOWED.values())


def test_not_eligible_cannot_go_to_the_back_office() -> None:
    c = Case()
    c.add([DtksNotFound(case_id=c.case_id, nik=None, reason="nik_missing")])
    r = refused(c, lifecycle.hand_to_back_office, Transition(), by=BY)
    assert r.code == "not_eligible"


def test_waiting_pauses_the_clock_and_resuming_returns_to_the_stage_before() -> None:
    c = Case()
    c.do(lifecycle.assign, AssignCase(assignee="kpg-x", role=Role.OFFICER), by=BY)
    c.do(lifecycle.start_work, Transition(), staff_id="kpg-x", by="staff:kpg-x")
    pause_at = T0 + timedelta(hours=2)
    c.do(
        lifecycle.pause,
        PauseCase(waiting_for="agency", agency="dukcapil", reason="Data"),
        by=BY,
        at=pause_at,
    )
    assert c.state.stage == "waiting_for_agency" and c.state.clock is not None
    assert c.state.clock.paused
    r = refused(c, lifecycle.pause, PauseCase(waiting_for="citizen", reason="x"), by=BY)
    assert r.code == "illegal_transition"
    resume_at = pause_at + timedelta(days=1)  # Tuesday 11:00 WITA: 5 h Mon + 3 h Tue paused
    c.do(lifecycle.resume, Transition(), by=BY, at=resume_at)
    state = c.state
    assert state.stage == "in_progress" and state.clock is not None
    assert not state.clock.paused
    plain = clock_deadline(Case().state.clock, 7 * 8 * 3600.0, KUPANG)  # type: ignore[arg-type]
    paused = clock_deadline(state.clock, 7 * 8 * 3600.0, KUPANG)
    assert plain.due_at is not None and paused.due_at is not None
    assert paused.due_at - plain.due_at == timedelta(days=1)  # 8 office hours = one day


def test_a_reply_resumes_only_a_case_waiting_for_the_citizen() -> None:
    c = Case()
    c.do(lifecycle.take_up, Transition(), by=BY)
    assert lifecycle.resume_on_reply(c.state) == []
    c.do(lifecycle.pause, PauseCase(waiting_for="citizen", reason="Lengkapi KK"), by=BY)
    (resumed,) = c.do(lifecycle.resume_on_reply)
    assert resumed.event_type == "CaseResumed" and c.state.stage == "front_office"
    assert lifecycle.resume_on_reply(c.state) == []


def test_merge_and_forward_end_a_case() -> None:
    old, new = Case(), Case()
    dup_events, into_events = lifecycle.merge_duplicate(new.state, old.state, by=BY, reason="r")
    new.add(dup_events)
    old.add(into_events)
    assert new.state.stage == "merged" and new.state.merged_into == old.case_id
    assert old.state.merged_duplicates == (new.case_id,)
    assert lifecycle.merge_duplicate(new.state, old.state, by=BY, reason="r") == ([], [])
    r = refused(new, lifecycle.take_up, Transition(), by=BY)
    assert r.code == "illegal_transition" and r.details["stage"] == "merged"
    f = Case()
    f.do(lifecycle.forward, ForwardCase(forwarded_to="dukcapil", reason="Bukan kewenangan"), by=BY)
    assert f.state.stage == "forwarded" and f.state.forwarded_to == "dukcapil"
    assert lifecycle.resolve_when_letter_signed(f.state) == []


def test_handover_is_for_walk_ins_and_disposition_is_recorded_as_such() -> None:
    letter = Case(Channel.LETTER)
    r = refused(
        letter,
        lifecycle.assign,
        AssignCase(assignee="a", role=Role.HEAD_OF_DIVISION),
        by=BY,
        kind="handover",
    )
    assert r.code == "handover_walk_in_only" and r.status == 422
    letter.do(
        lifecycle.assign,
        AssignCase(
            assignee="kpg-kabid", role=Role.HEAD_OF_DIVISION, instruction="Mohon ditindaklanjuti"
        ),
        by="staff:kpg-head",
        kind="disposition",
    )
    assert letter.state.assignment_kind == "disposition" and letter.state.stage == "assigned"
    walk_in = Case(Channel.WALK_IN)
    walk_in.do(
        lifecycle.assign,
        AssignCase(assignee="kpg-sek", role=Role.SECRETARY),
        by=BY,
        kind="handover",
    )
    assert walk_in.state.assignment_kind == "handover"


def _standard_time(channel: Channel) -> float:
    std = load_catalogue().service("kupang", "public-complaint")
    d = std.completion_time_for(channel)
    return d.value * (KUPANG.day_seconds if d.unit == "working_days" else 60)


KUPANG_LADDER = escalation.office_ladder(load_catalogue().office("kupang"))


def officer_deadline_events(state: CaseState, now: datetime, due: Deadline) -> list[Event]:
    """The deadline decisions on a Kupang case that is the officer's (Kupang has every
    level of the ladder)."""
    return escalation.deadline_events(
        state, now, due, ladder=KUPANG_LADDER, working_role=Role.OFFICER.value
    )


def test_deadline_watcher_decisions_warn_breach_and_escalate_once_each() -> None:
    c = Case(Channel.SP4N_LAPOR)
    c.do(lifecycle.assign, AssignCase(assignee="kpg-o", role=Role.OFFICER), by=BY)
    assert c.state.clock is not None
    due = clock_deadline(c.state.clock, _standard_time(Channel.SP4N_LAPOR), KUPANG)
    assert due.due_at is not None and due.warn_at is not None
    # 8 working days from Monday 3 Aug 09:00 WITA: 17 Aug is off -> Thursday 13 Aug.
    assert due.due_at == datetime(2026, 8, 13, 1, 0, tzinfo=UTC)
    before = due.warn_at - timedelta(seconds=1)
    assert officer_deadline_events(c.state, before, due) == []
    (warned,) = c.do(officer_deadline_events, due.warn_at, due)
    assert warned.event_type == "DeadlineWarned"
    assert officer_deadline_events(c.state, due.warn_at, due) == []
    events = c.do(officer_deadline_events, due.due_at, due)
    assert [e.event_type for e in events] == ["DeadlineBreached", "CaseEscalated"]
    assert events[1].to_role == Role.SUB_COORDINATOR  # type: ignore[attr-defined]
    assert events[1].from_role == Role.OFFICER  # type: ignore[attr-defined]
    later = due.due_at + timedelta(days=30)
    assert officer_deadline_events(c.state, later, due) == []
    assert c.state.clock is not None and c.state.clock.escalated_to == ("sub_coordinator",)


def test_no_deadline_events_while_paused_or_answered() -> None:
    c = Case(Channel.SP4N_LAPOR)
    c.do(lifecycle.take_up, Transition(), by=BY)
    c.do(lifecycle.pause, PauseCase(waiting_for="citizen", reason="x"), by=BY)
    late = T0 + timedelta(days=60)
    due = clock_deadline(c.state.clock, 3600.0, KUPANG)  # type: ignore[arg-type]
    assert officer_deadline_events(c.state, late, due) == []
    c.do(lifecycle.resume, Transition(), by=BY)
    c.do(lifecycle.answer, AnswerCase(answer="ok"), by=BY)
    due = clock_deadline(c.state.clock, 3600.0, KUPANG)  # type: ignore[arg-type]
    assert officer_deadline_events(c.state, late, due) == []


def test_a_case_answered_late_before_any_sweep_still_gets_its_breach() -> None:
    c = Case(Channel.SP4N_LAPOR)
    c.do(lifecycle.take_up, Transition(), by=BY)
    due = clock_deadline(c.state.clock, 3600.0, KUPANG)  # type: ignore[arg-type]
    assert due.due_at is not None
    c.do(lifecycle.answer, AnswerCase(answer="ok"), by=BY, at=due.due_at + timedelta(hours=2))
    due = clock_deadline(c.state.clock, 3600.0, KUPANG)  # type: ignore[arg-type]
    assert due.due_at is not None
    later = due.due_at + timedelta(days=1)
    (breach,) = c.do(officer_deadline_events, later, due)
    assert breach.event_type == "DeadlineBreached"  # a fact, but nothing to escalate
    assert officer_deadline_events(c.state, later, due) == []


def test_escalation_ladder() -> None:
    """The full ladder (Kupang's); the offices' own are in test_casework_escalation.py."""
    assert escalation.next_level_up("officer") == Role.SUB_COORDINATOR
    assert escalation.next_level_up(None) == Role.SUB_COORDINATOR
    assert escalation.next_level_up("sub_coordinator") == Role.HEAD_OF_DIVISION
    assert escalation.next_level_up("head_of_division") == Role.SECRETARY
    assert escalation.next_level_up("head_of_office") == Role.HEAD_OF_OFFICE


def test_referrals_accepted_refused_reminded_until_closed() -> None:
    c = Case()
    c.do(lifecycle.take_up, Transition(), by=BY)
    rid = uuid4()
    r = refused(
        c,
        referrals.refer,
        MakeReferral(agency="nowhere", reason="x"),
        referral_id=rid,
        by=BY,
        known_agencies=frozenset({"bpjs"}),
    )
    assert r.code == "unknown_agency" and r.status == 422
    c.do(
        referrals.refer,
        MakeReferral(agency="bpjs", reason="KIS", programme="kis"),
        referral_id=rid,
        by=BY,
        known_agencies=frozenset({"bpjs"}),
        at=T0,
    )
    assert c.state.status == "referred"
    # A reminder every 3 working days while open (Mon 09:00 -> Thu 09:00), once each.
    assert referrals.referral_reminders(c.state, T0 + timedelta(days=2), KUPANG) == []
    (first,) = c.do(referrals.referral_reminders, T0 + timedelta(days=3), KUPANG)
    assert first.reminder == 1  # type: ignore[attr-defined]
    assert referrals.referral_reminders(c.state, T0 + timedelta(days=3), KUPANG) == []
    r = refused(c, referrals.answer_referral, rid, AnswerReferral(accepted=False), by=BY)
    assert r.code == "reason_required"
    c.do(referrals.answer_referral, rid, AnswerReferral(accepted=True), by=BY)
    assert c.state.referral(str(rid)).status == "accepted"  # type: ignore[union-attr]
    r = refused(c, referrals.answer_referral, rid, AnswerReferral(accepted=True), by=BY)
    assert r.code == "referral_already_answered"
    c.do(referrals.close_referral, rid, CloseReferral(), by=BY)
    assert c.state.open_referrals == ()
    assert referrals.referral_reminders(c.state, T0 + timedelta(days=30), KUPANG) == []
    r = refused(c, referrals.close_referral, rid, CloseReferral(), by=BY)
    assert r.code == "referral_not_open"
    r = refused(c, referrals.close_referral, UUID(int=1), CloseReferral(), by=BY)
    assert r.code == "referral_not_found"


def test_lk3_steps_with_their_budgets_and_confidential_counselling() -> None:
    c = Case(
        Channel.INSTAGRAM,
        office="mataram",
        service="lk3-consultation",
        variant="family-counselling",
        confidential=True,
    )
    day = timedelta(days=1)
    c.do(social_work.record_identity, Transition(), by=BY, at=T0 + timedelta(hours=1))
    assert c.state.stage == "front_office"
    c.do(lifecycle.assign, AssignCase(assignee="sw", role=Role.SOCIAL_WORKER), by=BY, at=T0 + day)
    r = refused(
        c,
        social_work.record_consultation,
        RecordConsultation(psychologist="psy"),
        staff_id="sw",
        by="staff:sw",
    )
    assert r.code == "illegal_transition"  # assigned, not yet in progress
    c.do(
        social_work.record_assessment,
        RecordAssessment(summary="rahasia"),
        staff_id="sw",
        by="staff:sw",
        at=T0 + 5 * day,
    )  # Sat 8 Aug: late (3 working days from Tue)
    r = refused(
        c,
        social_work.record_counselling,
        RecordCounselling(notes="n"),
        staff_id="psy",
        by="staff:psy",
    )
    assert r.code == "consultation_missing"
    c.do(
        social_work.record_consultation,
        RecordConsultation(psychologist="psy"),
        staff_id="sw",
        by="staff:sw",
        at=T0 + 7 * day,
    )
    assert "psy" in c.state.care_team
    r = refused(
        c,
        social_work.record_counselling,
        RecordCounselling(notes="n"),
        staff_id="other",
        by="staff:other",
    )
    assert r.code == "not_case_psychologist" and r.status == 403
    for i in range(4):
        c.do(
            social_work.record_counselling,
            RecordCounselling(notes=f"sesi {i}"),
            staff_id="psy",
            by="staff:psy",
            at=T0 + (8 + i) * day,
        )
    r = refused(
        c,
        social_work.record_counselling,
        RecordCounselling(notes="n"),
        staff_id="psy",
        by="staff:psy",
    )
    assert r.code == "sessions_exhausted"
    std = load_catalogue().service("mataram", "lk3-consultation")
    steps = social_work.steps(c.state, std.procedure, office_calendar("52.71"))
    by_key = {s.key: s for s in steps}
    assert [s.key for s in steps] == list(social_work.STEP_KEYS)
    assert by_key["identity"].budget == "1 hari kerja" and by_key["identity"].on_time is True
    assert by_key["assessment"].budget == "3 hari kerja" and by_key["assessment"].on_time is False
    assert by_key["counselling"].sessions == 4 and by_key["counselling"].sessions_planned == "3-4"
    assert by_key["counselling"].done_at is not None
    assert by_key["referral"].done_at is None and by_key["referral"].due_at is not None
    assert "notes" not in c.facts[-1].data  # the fold never sees counselling notes


def test_ikm_index_and_grade() -> None:
    all_four = {k: 4 for k in ikm.ELEMENTS}
    all_three = {k: 3 for k in ikm.ELEMENTS}
    result = ikm.ikm([all_four, all_three])
    assert result is not None
    assert result.respondents == 2 and result.ikm == 3.5 and result.index == 87.5
    assert (result.grade, result.label) == ("B", "Baik")
    assert ikm.ikm([all_four]).grade == "A"  # type: ignore[union-attr]
    assert ikm.grade(76.60) == ("C", "Kurang baik") and ikm.grade(64.99)[0] == "D"
    assert ikm.grade(88.31)[0] == "A" and ikm.grade(65.0)[0] == "C"
    assert ikm.ikm([]) is None
    assert ikm.score_problems({**all_four, "u3": 5}) == ["u3: 5 is not a score 1-4"]
    assert "u9: missing" in ikm.score_problems({k: 2 for k in list(ikm.ELEMENTS)[:8]})


def test_lifecycle_facts_fold_the_same_in_any_arrival_order() -> None:
    import random

    c = Case()
    c.do(lifecycle.take_up, Transition(), by=BY)
    c.do(lifecycle.assign, AssignCase(assignee="x", role=Role.OFFICER), by=BY)
    c.do(lifecycle.start_work, Transition(), staff_id="x", by="staff:x")
    c.do(lifecycle.pause, PauseCase(waiting_for="citizen", reason="r"), by=BY)
    c.do(lifecycle.resume, Transition(), by=BY)
    rid = uuid4()
    c.do(referrals.refer, MakeReferral(agency="bpjs", reason="r"), referral_id=rid, by=BY)
    c.do(referrals.answer_referral, rid, AnswerReferral(accepted=True), by=BY)
    c.do(lifecycle.answer, AnswerCase(answer="a"), by=BY)
    c.do(lifecycle.close, Transition(), by=BY)
    c.do(lifecycle.reopen, Transition(reason="r"), by=BY)
    expected = c.state
    assert expected.stage == "in_progress" and expected.clock is not None
    assert expected.clock.number == 2 and expected.handled_by == (BY,)
    rng = random.Random(11)
    for _ in range(30):
        shuffled = c.facts[:]
        rng.shuffle(shuffled)
        assert fold(c.case_id, shuffled) == expected


def test_an_lk3_step_past_its_budget_is_breached_once() -> None:
    c = Case(
        Channel.WALK_IN, office="mataram", service="lk3-consultation", variant="family-counselling"
    )
    std = load_catalogue().service("mataram", "lk3-consultation")
    calendar = office_calendar("52.71")
    c.do(social_work.record_identity, Transition(), by=BY, at=T0)  # Monday 09:00 WITA
    steps = social_work.steps(c.state, std.procedure, calendar)
    handover = next(s for s in steps if s.key == "social_worker")
    assert handover.due_at == T0 + timedelta(days=1)  # 1 working day
    assert social_work.next_step_due(steps, ()) == handover.due_at
    assert social_work.step_breaches(c.state, T0 + timedelta(hours=20), steps) == []
    (breach,) = c.do(social_work.step_breaches, T0 + timedelta(days=1), steps)
    assert breach.step == "social_worker"  # type: ignore[attr-defined]
    assert c.state.steps_breached == ("social_worker",)
    assert c.state.clock is not None and not c.state.clock.breached  # the case clock is apart
    steps = social_work.steps(c.state, std.procedure, calendar)
    assert social_work.step_breaches(c.state, T0 + timedelta(days=9), steps) == []
    assert social_work.next_step_due(steps, c.state.steps_breached) is None
