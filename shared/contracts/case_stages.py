"""A case's lifecycle stages: the `stage` of casework's case view, and what the staff web
app, the citizens' status words (catalogue messages `status.<stage>.*`) and casework's own
transition table are keyed by. Beside the stage, casework reports a finer status (where
the case stands inside a stage: not eligible, a letter on its way, a referral), which the
citizens are told in words of their own (`status.<status>.*`, `FINER_STATUSES`).

    registered -> front_office -> back_office -> assigned -> in_progress
        -> answered | resolved -> closed        (reopen: back to in_progress)
    waiting_for_citizen / waiting_for_agency    (pauses; the deadline clock stops)
    forwarded (not our authority), merged (a confirmed duplicate)   (terminal)

Casework's fold (`services/casework/domain/model.py`) moves a case between them.
"""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal[
    "registered",
    "front_office",
    "back_office",
    "assigned",
    "in_progress",
    "waiting_for_citizen",
    "waiting_for_agency",
    "answered",
    "resolved",
    "closed",
    "forwarded",
    "merged",
]
STAGES: tuple[str, ...] = get_args(Stage)
# Work is still to be done (a pause aside).
OPEN_WORK: frozenset[str] = frozenset(
    {"registered", "front_office", "back_office", "assigned", "in_progress"}
)
PAUSED_STAGES: frozenset[str] = frozenset({"waiting_for_citizen", "waiting_for_agency"})
# No clock runs and no work is expected: answered or done, or gone elsewhere.
STOPPED_STAGES: frozenset[str] = frozenset(
    {"answered", "resolved", "closed", "forwarded", "merged"}
)
TERMINAL_STAGES: frozenset[str] = frozenset({"forwarded", "merged"})

# Casework's finer statuses (its `CaseStatus`, beside the stages), each with status words
# of its own in the catalogue messages; `not_eligible_domicile` is `not_eligible` where the
# domicile is outside the office's area, which casework's public status says
# (`not_eligible_because`), so that citizen is not told about DTKS.
FINER_STATUSES: tuple[str, ...] = (
    "eligible",
    "not_eligible",
    "not_eligible_domicile",
    "documents_complete",
    "referred",
    "letter_drafted",
    "letter_in_approval",
    "letter_returned",
    "letter_approved",
    "letter_signed",
    "letter_issued",
)


def status_key(stage: str, status: str | None, not_eligible_because: str | None = None) -> str:
    """Which status words tell a citizen where their request stands (`status.<key>.*`):
    casework's finer status where it gives one, else the stage."""
    if status == "not_eligible" and not_eligible_because == "domicile":
        return "not_eligible_domicile"
    return status or stage
