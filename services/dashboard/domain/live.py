"""What a live change is and which open page wants it: pure.

The dashboard hears every event (through `shared`'s consumer) and turns it into a
`Change`: the office and the case it touches. An open page subscribes with a `Topic`:
its office, and a case id (a case page) or none (an office-wide page such as My work).
A change reaches a page only when both the office and, if the page names one, the case
match; another office's pages never hear of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Change:
    office: str
    case_id: UUID | None
    event_type: str
    position: int | None  # the event's global position: a page waits for reads to reach it

    def as_data(self) -> dict[str, object]:
        return {
            "case_id": str(self.case_id) if self.case_id else None,
            "event_type": self.event_type,
            "position": self.position,
        }


@dataclass(frozen=True)
class Topic:
    office: str
    case_id: UUID | None = None  # None: every change in the office

    def wants(self, change: Change) -> bool:
        if change.office != self.office:
            return False
        return self.case_id is None or self.case_id == change.case_id
