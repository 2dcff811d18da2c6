"""Separation of duties in the letter chain (issue 16, point 7), in the domain: one person
takes one step (draft, a review, the signature), whatever roles their token holds, unless
the office's catalogue says `separation_of_duties: false`."""

from __future__ import annotations

import pytest

from services.documents.domain import letter as model
from shared.catalogue import load_catalogue
from shared.refusal import Refused
from tests.unit.test_documents_letter import KABID, OFFICER, SEC, SUB, drafted_events, play

EVERY_ROLE = {OFFICER, SUB, KABID, SEC}


def test_the_catalogue_states_the_rule_and_it_is_on_by_default() -> None:
    catalogue = load_catalogue()
    assert all(office.separation_of_duties for office in catalogue.offices.values())
    off = catalogue.office("lumajang").model_copy(update={"separation_of_duties": False})
    assert off.separation_of_duties is False


def test_the_drafter_may_not_approve_their_own_letter() -> None:
    history = drafted_events(actor="staff:all", roles=EVERY_ROLE)
    with pytest.raises(Refused) as refused:
        model.approve(play(history), actor="staff:all", roles=EVERY_ROLE)
    assert (refused.value.code, refused.value.status) == ("same_person_twice", 403)
    assert refused.value.details["steps_taken"] == ["draft"]


def test_one_approver_may_not_approve_twice_nor_sign() -> None:
    history = drafted_events()
    history += model.approve(play(history), actor="staff:boss", roles={SUB, KABID, SEC})
    with pytest.raises(Refused) as twice:
        model.approve(play(history), actor="staff:boss", roles={SUB, KABID, SEC})
    assert twice.value.code == "same_person_twice"
    assert twice.value.details["steps_taken"] == ["step 1 (sub_coordinator)"]

    history += model.approve(play(history), actor="staff:kabid", roles={KABID})
    letter = play(history)
    for attempt in (
        lambda: model.ensure_can_sign(letter, {SEC}, actor="staff:boss"),
        lambda: model.sign(
            letter, actor="staff:boss", roles={SEC}, letter_number="n", content_sha256="h"
        ),
    ):
        with pytest.raises(Refused) as signing:
            attempt()
        assert signing.value.code == "same_person_twice"
    # Another official signs.
    signed = model.sign(
        letter, actor="staff:sec", roles={SEC}, letter_number="n", content_sha256="h"
    )
    assert play(history + signed).status == "signed"


def test_an_office_that_turns_it_off_lets_one_person_take_every_step() -> None:
    history = drafted_events(actor="staff:all", roles=EVERY_ROLE)
    for _ in range(2):
        history += model.approve(
            play(history), actor="staff:all", roles=EVERY_ROLE, separation_of_duties=False
        )
    signed = model.sign(
        play(history),
        actor="staff:all",
        roles=EVERY_ROLE,
        letter_number="n",
        content_sha256="h",
        separation_of_duties=False,
    )
    assert play(history + signed).signed_by == "staff:all"


def test_the_right_role_at_the_wrong_moment_is_still_told_so_first() -> None:
    # The step's own refusals come before the rule: a second sub-coordinator is told the
    # letter is not at their step, the drafter is told the rule.
    history = drafted_events()
    history += model.approve(play(history), actor="staff:sub", roles={SUB})
    with pytest.raises(Refused) as refused:
        model.approve(play(history), actor="staff:sub2", roles={SUB})
    assert refused.value.code == "not_your_step"
