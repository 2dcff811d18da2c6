"""One set of words for the channel codes: every channel has its label for staff, and the
web app's pages and the monthly report show the same one."""

from __future__ import annotations

from shared.contracts.vocab import Channel
from shared.labels import CHANNEL_LABELS


def test_every_channel_has_a_label_and_a_stored_code_finds_it() -> None:
    assert set(CHANNEL_LABELS) == set(Channel)
    assert CHANNEL_LABELS["walk_in"] == "Datang langsung"
    assert CHANNEL_LABELS.get(str(Channel.SP4N_LAPOR)) == "SP4N-LAPOR!"
