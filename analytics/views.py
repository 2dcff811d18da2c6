"""The analysts' views by name (light: the command line's help reads it without pyarrow)."""

from __future__ import annotations

# view -> its time column (the window --from/--to applies to it)
VIEWS: dict[str, str] = {
    "events": "occurred_at",
    "cases": "opened_at",
    "transitions": "at",
    "sla_steps": "acted_at",
    "ikm_answers": "answered_at",
}
