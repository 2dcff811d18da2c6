"""Escalation of a breached deadline to the officials the office has (its catalogue), and
the work queues that hold an escalated case: the role that must act keeps it, the official
escalated to sees it too. Pure: the fold, the catalogue, the deadline sweep's decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.casework import views
from services.casework.adapters.calendar import office_calendar
from services.casework.domain import escalation, lifecycle
from services.casework.domain.case_row import CaseRow
from services.casework.domain.commands import PauseCase, Transition
from services.casework.domain.model import CaseFact, CaseState, fold
from services.casework.domain.standards import CaseStandards
from services.casework.domain.timeline import redact, summarize
from services.casework.service_layer.check_deadlines import decide_at
from shared.catalogue import load_catalogue
from shared.contracts.base import Event
from shared.contracts.casework_events import CaseEscalated, DeadlineBreached
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel, Role

CATALOGUE = load_catalogue()
STANDARDS = CaseStandards(CATALOGUE, office_calendar)

SUB, HEAD_DIV, SEC, HEAD = (
    Role.SUB_COORDINATOR,
    Role.HEAD_OF_DIVISION,
    Role.SECRETARY,
    Role.HEAD_OF_OFFICE,
)
# Tuesday 1 Dec 2026, 09:00 WITA (Mataram) / 08:00 WIB (Lumajang, Pariaman)
RECEIVED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DAY_LATER = RECEIVED + timedelta(days=1)


@pytest.mark.parametrize(
    ("office", "ladder"),
    [
        # Mataram's catalogue names a Kabid, a secretary and the Kadis; no sub-coordinator.
        ("mataram", (HEAD_DIV, SEC, HEAD)),
        # Pariaman: Kabid and Kadis (signatories, approval chain); neither secretary nor
        # sub-coordinator.
        ("pariaman", (HEAD_DIV, HEAD)),
        # Lumajang: the sub-coordinator approves its KKS letters.
        ("lumajang", (SUB, HEAD_DIV, SEC, HEAD)),
        ("kupang", (SUB, HEAD_DIV, SEC, HEAD)),
    ],
)
def test_each_office_escalates_along_the_officials_its_catalogue_names(
    office: str, ladder: tuple[Role, ...]
) -> None:
    assert escalation.office_ladder(CATALOGUE.office(office)) == ladder


def test_the_next_level_up_skips_the_levels_an_office_does_not_have() -> None:
    mataram = escalation.office_ladder(CATALOGUE.office("mataram"))
    assert escalation.next_level_up("front_office", mataram) == HEAD_DIV
    assert escalation.next_level_up(None, mataram) == HEAD_DIV
    assert escalation.next_level_up("social_worker", mataram) == HEAD_DIV
    assert escalation.next_level_up("head_of_division", mataram) == SEC
    assert escalation.next_level_up("head_of_office", mataram) == HEAD
    pariaman = escalation.office_ladder(CATALOGUE.office("pariaman"))
    assert escalation.next_level_up("front_office", pariaman) == HEAD_DIV
    assert escalation.next_level_up("head_of_division", pariaman) == HEAD  # no secretary
    lumajang = escalation.office_ladder(CATALOGUE.office("lumajang"))
    assert escalation.next_level_up("officer", lumajang) == SUB
    assert escalation.next_level_up("sub_coordinator", lumajang) == HEAD_DIV


def test_an_office_that_names_no_official_still_has_its_head() -> None:
    bare = CATALOGUE.office("mataram").model_copy(update={"signatories": {}, "services": {}})
    assert escalation.office_ladder(bare) == (HEAD,)
    assert escalation.next_level_up("front_office", escalation.office_ladder(bare)) == HEAD


def test_an_escalation_to_a_missing_role_is_held_by_the_next_official_the_office_has() -> None:
    mataram = escalation.office_ladder(CATALOGUE.office("mataram"))
    assert escalation.official_for("sub_coordinator", mataram) == HEAD_DIV
    assert escalation.official_for("head_of_division", mataram) == HEAD_DIV
    assert (
        escalation.official_for("secretary", escalation.office_ladder(CATALOGUE.office("pariaman")))
        == HEAD
    )
    lumajang = escalation.office_ladder(CATALOGUE.office("lumajang"))
    assert escalation.official_for("sub_coordinator", lumajang) == SUB


# ---- a case through the deadline sweep's decision ---------------------------------------


class Case:
    """A case's facts, folded as casework folds them."""

    def __init__(self, office: str, service: str, variant: str | None, channel: Channel) -> None:
        self.case_id = uuid4()
        self.facts: list[CaseFact] = []
        self.add(
            ComplaintRegistered(
                case_id=self.case_id,
                ticket_number="MTR-2026-000005",
                office=office,
                service=service,
                variant=variant,
                channel=channel,
                applicant=Applicant(name="Warga Contoh", phone="081200000031"),
                received_at=RECEIVED,
            ),
            at=RECEIVED,
        )

    @property
    def state(self) -> CaseState:
        return fold(self.case_id, self.facts)

    def add(self, event: Event, *, at: datetime) -> None:
        self.facts.append(
            CaseFact(
                position=len(self.facts) + 1,
                event_type=event.event_type,
                data=redact(event.event_type, event.model_dump(mode="json")),
                recorded_at=at,
                occurred_at=at,
                actor="system:casework",
            )
        )

    def sweep(self, now: datetime) -> list[Event]:
        events = decide_at(now, STANDARDS)(self.state)
        for e in events:
            self.add(e, at=now)
        return events


def sembako_walk_in() -> Case:
    return Case("mataram", "sembako-complaint", "pin-blocked", Channel.WALK_IN)


def test_a_breached_mataram_sembako_case_stays_at_the_front_desk_and_reaches_the_kabid() -> None:
    case = sembako_walk_in()
    assert STANDARDS.queue_role(case.state) == "front_office"
    events = case.sweep(DAY_LATER)  # the 1-hour clock ran out long ago
    escalated = [e for e in events if isinstance(e, CaseEscalated)]
    assert [e.event_type for e in events][-1] == "CaseEscalated" and len(escalated) == 1
    assert escalated[0].to_role == HEAD_DIV and escalated[0].from_role == Role.FRONT_OFFICE
    assert case.sweep(DAY_LATER + timedelta(days=3)) == []  # once per clock
    state = case.state
    assert STANDARDS.queue_role(state) == "front_office"  # the desk still must act
    assert STANDARDS.escalated_to(state) == "head_of_division"
    row = CaseRow.of(state, STANDARDS)
    assert (row.queue_role, row.breached, row.escalated_to) == (
        "front_office",
        True,
        "head_of_division",
    )


def test_a_breached_pariaman_case_goes_to_its_kabid() -> None:
    case = Case("pariaman", "dtks-certificate", "certificate", Channel.WALK_IN)
    (escalated,) = [e for e in case.sweep(DAY_LATER) if isinstance(e, CaseEscalated)]
    assert escalated.to_role == HEAD_DIV
    row = CaseRow.of(case.state, STANDARDS)
    assert (row.queue_role, row.escalated_to) == ("front_office", "head_of_division")


def test_a_breached_lumajang_case_goes_to_its_sub_coordinator() -> None:
    case = Case("lumajang", "kks-recommendation", "reset-pin", Channel.WALK_IN)
    working = STANDARDS.queue_role(case.state)
    assert working == "officer"  # the standard's petugas pelayanan takes a walk-in
    (escalated,) = [e for e in case.sweep(DAY_LATER) if isinstance(e, CaseEscalated)]
    assert escalated.to_role == SUB and escalated.from_role == Role.OFFICER
    row = CaseRow.of(case.state, STANDARDS)
    assert (row.queue_role, row.escalated_to) == ("officer", "sub_coordinator")


def test_an_old_escalation_to_the_sub_coordinator_still_folds_and_reads() -> None:
    """Stored before ladders came from the catalogue: `CaseEscalated` to the
    sub-coordinator in Mataram. It folds and reads as recorded; the front office keeps the
    case, and the Kabid (the first official above it that Mataram has) holds it too."""
    case = sembako_walk_in()
    due = RECEIVED + timedelta(hours=1)
    case.add(
        DeadlineBreached(
            case_id=case.case_id, by="system:casework", reason="x", due_at=due, clock=1
        ),
        at=DAY_LATER,
    )
    old = CaseEscalated(
        case_id=case.case_id,
        by="system:casework",
        reason="Batas waktu terlampaui; diteruskan ke atasan.",
        to_role=SUB,
        from_role=None,
        clock=1,
    )
    case.add(old, at=DAY_LATER)
    state = case.state
    assert state.clock is not None and state.clock.escalated_to == ("sub_coordinator",)
    assert summarize("CaseEscalated", old.model_dump(mode="json")) == (
        "Kasus dieskalasi ke Sub-koordinator"
    )
    later = case.sweep(DAY_LATER + timedelta(days=1))
    assert not [e for e in later if isinstance(e, CaseEscalated)]  # once per clock
    row = CaseRow.of(state, STANDARDS)
    assert (row.queue_role, row.breached, row.escalated_to) == (
        "front_office",
        True,
        "head_of_division",
    )


def test_the_queues_of_an_escalated_case_follow_the_work_and_keep_the_official() -> None:
    case = sembako_walk_in()
    case.sweep(DAY_LATER)

    def queues() -> set[str]:
        row = CaseRow.of(case.state, STANDARDS).as_dict()
        return {r.value for r in Role if views.in_queue(row, [r.value])}

    assert queues() == {"front_office", "head_of_division"}
    for decision, cmd in (
        (lifecycle.take_up, Transition()),
        (lifecycle.hand_to_back_office, Transition()),
    ):
        for e in decision(case.state, cmd, by="staff:mtr-fo"):
            case.add(e, at=DAY_LATER)
    # The back office must act now; the Kabid still has the overdue case.
    assert queues() == {"back_office", "head_of_division"}
    pause = PauseCase(waiting_for="citizen", reason="Buku tabungan")
    for e in lifecycle.pause(case.state, pause, by="staff:mtr-bo"):
        case.add(e, at=DAY_LATER)
    assert queues() == set()  # waiting for the citizen: nobody's turn, the Kabid's neither
