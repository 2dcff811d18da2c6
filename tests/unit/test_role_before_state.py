"""Role before state (issue 16, point 10): a caller none of whose roles takes a step of a
letter's chain is told `wrong_role` (403) whatever the letter's state; before, a signed
or returned letter answered 409 about its state first."""

from __future__ import annotations

import pytest

from services.documents.domain import letter as model
from shared.contracts.vocab import Role
from shared.refusal import Refused
from tests.unit.test_documents_letter import KABID, SEC, SUB, drafted_events, play


def _signed() -> model.Letter:
    history = drafted_events()
    history += model.approve(play(history), actor="staff:sub", roles={SUB})
    history += model.approve(play(history), actor="staff:kabid", roles={KABID})
    history += model.sign(
        play(history), actor="staff:sec", roles={SEC}, letter_number="n", content_sha256="h"
    )
    return play(history)


def _returned() -> model.Letter:
    history = drafted_events()
    history += model.return_(play(history), actor="staff:sub", roles={SUB}, comment="Perbaiki")
    return play(history)


@pytest.mark.parametrize("letter", [_signed(), _returned()], ids=["signed", "returned"])
def test_a_role_outside_the_chain_is_refused_before_the_state(letter: model.Letter) -> None:
    desk = {Role.FRONT_OFFICE}
    for attempt in (
        lambda: model.approve(letter, actor="staff:fo", roles=desk),
        lambda: model.return_(letter, actor="staff:fo", roles=desk, comment="x"),
        lambda: model.ensure_can_sign(letter, desk),
    ):
        with pytest.raises(Refused) as refused:
            attempt()
        assert (refused.value.code, refused.value.status) == ("wrong_role", 403)
    # A role of the chain still hears about the state.
    with pytest.raises(Refused) as refused:
        model.approve(letter, actor="staff:sub2", roles={SUB})
    assert refused.value.status == 409
