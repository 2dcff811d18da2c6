"""A case's lifecycle stages: the `stage` of casework's case view, and what the staff web
app, the citizens' status words (catalogue messages `status.<stage>.*`) and casework's own
transition table are keyed by.

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
