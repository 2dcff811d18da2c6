"""The folded case kept between events: `CaseState` to JSON and back, exactly."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import orjson

from bench.cases import case_script
from services.casework.domain.case_snapshot import state_from_json, state_to_json
from services.casework.domain.model import (
    CaseFact,
    CaseState,
    Clock,
    Pause,
    Referral,
    apply,
    fact_with_event,
    fold,
)
from services.casework.domain.timeline import redact
from tests.unit.test_casework_model import facts, lk3_sequence, lumajang_sequence

WITA = timezone(timedelta(hours=8))


def round_trip(state: CaseState) -> CaseState:
    """As the database keeps it: JSON text in a jsonb column, read back."""
    return state_from_json(orjson.loads(orjson.dumps(state_to_json(state))))


def test_every_field_set_round_trips_exactly() -> None:
    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=WITA)
    state = CaseState(
        case_id=uuid4(),
        registered=True,
        office="kupang",
        service="public-complaint",
        variant="general",
        channel="suggestion_box",
        ticket_number="KPG-2026-000001",
        opened_at=at,
        confidential=True,
        stage="waiting_for_agency",
        stage_before_pause="in_progress",
        stage_changed_at=at,
        dtks=False,
        domicile=True,
        documents_complete=True,
        letter_stage="returned",
        letter_number="400.9/001/2026",
        letter_issued=True,
        assigned_to="kpg-sw-01",
        assignee_role="social_worker",
        assigned_at=at,
        assignment_kind="delegation",
        care_team=("kpg-sw-01", "kpg-psy-01"),
        handled_by=("staff:kpg-head-01",),
        assessed=True,
        identity_recorded_at=at,
        social_worker_at=at,
        assessed_at=at,
        consultation_at=at,
        psychologist="kpg-psy-01",
        sessions=(at, at + timedelta(days=7)),
        steps_breached=("assessment",),
        referrals=("dinas-kesehatan",),
        referral_log=(
            Referral(
                referral_id=str(uuid4()),
                agency="dinas-kesehatan",
                made_at=at,
                status="accepted",
                programme="kis",
                answered_at=at,
                reminders=2,
            ),
        ),
        answered_at=at,
        resolved_at=at,
        outcome="answered",
        closed_at=at,
        forwarded_to="dinas-kependudukan",
        merged_into=uuid4(),
        merged_duplicates=(uuid4(), uuid4()),
        duplicate_suspected_of=uuid4(),
        id_card_held=True,
        replies=3,
        surveyed=True,
        clock=Clock(
            number=2,
            started_at=at,
            pauses=(
                Pause(since=at, until=at + timedelta(hours=1), waiting_for="citizen"),
                Pause(since=at + timedelta(hours=2), until=None, waiting_for="agency"),
            ),
            stopped_at=None,
            warned=True,
            breached=True,
            escalated_to=("sub_coordinator", "head_of_division"),
        ),
        last_position=123_456_789_012,
    )
    # Nothing left at its default: the test covers every field.
    default = CaseState(case_id=state.case_id)
    assert [
        f.name for f in fields(CaseState) if getattr(state, f.name) == getattr(default, f.name)
    ] == ["case_id"]

    back = round_trip(state)
    assert back == state
    assert state_to_json(back) == state_to_json(state)
    assert isinstance(back.case_id, UUID) and isinstance(back.merged_duplicates, tuple)
    assert isinstance(back.clock, Clock) and isinstance(back.clock.pauses[0], Pause)
    assert isinstance(back.referral_log[0], Referral) and isinstance(back.sessions, tuple)
    assert back.opened_at is not None and back.opened_at.utcoffset() == timedelta(hours=8)
    assert back.opened_at.microsecond == 123456


def test_every_state_a_fold_reaches_round_trips() -> None:
    """After every event of the seeded sequences and of synthetic cases of each office."""
    rng = random.Random(15)
    sequences = [facts(lumajang_sequence(uuid4())), facts(lk3_sequence(uuid4()))]
    for n in range(30):
        script = case_script(uuid4(), n, rng)
        sequences.append(facts([s.event for s in script], start=1_000 * (n + 1)))
    for seq in sequences:
        for i in range(len(seq) + 1):
            state = fold(UUID(int=7), seq[:i])
            assert round_trip(state) == state


def test_folding_on_a_stored_state_equals_the_full_fold() -> None:
    """What the live projection does (stored state + one fact, each step through JSON)
    gives the full fold after every event."""
    rng = random.Random(2)
    for n in range(30):
        case_id = uuid4()
        seq = facts([s.event for s in case_script(case_id, n, rng)])
        stored = CaseState(case_id=case_id)
        for i, fact in enumerate(seq):
            stored = round_trip(apply(stored, fact))
            assert stored == fold(case_id, seq[: i + 1])


def test_a_fact_given_its_full_event_folds_as_the_redacted_one() -> None:
    """The rebuild folds the payload it decoded once (personal fields and notes in it);
    the live fold decodes the redacted timeline data: the same state."""
    rng = random.Random(3)
    for n in range(30):
        case_id = uuid4()
        events = [s.event for s in case_script(case_id, n, rng)]
        redacted = facts(events)
        full = [
            fact_with_event(
                CaseFact(
                    position=f.position,
                    event_type=f.event_type,
                    data=redact(e.event_type, e.model_dump(mode="json")),
                    recorded_at=f.recorded_at,
                    occurred_at=f.occurred_at,
                ),
                e,
            )
            for f, e in zip(redacted, events, strict=True)
        ]
        assert fold(case_id, full) == fold(case_id, redacted)


def test_times_in_any_zone_round_trip_to_the_same_instant() -> None:
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    state = CaseState(case_id=uuid4(), opened_at=at, sessions=(at.astimezone(WITA),))
    back = round_trip(state)
    assert back == state and back.sessions[0].utcoffset() == timedelta(hours=8)
