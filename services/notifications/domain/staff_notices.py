"""Staff are told too: which event tells which member of staff (or which role at the
office) what, in Bahasa Indonesia.

- `CaseAssigned`, `CaseDelegated`, `LetterDraftingAssigned`: the assignee
  (`case_assigned`);
- `LetterDrafted` (the chain's first role), `LetterReviewed` (the next role),
  `LetterApproved` (the signer): that role at the office (`letter_waiting`);
- `LetterReturned`: the drafter (`letter_returned`);
- `DeadlineWarned`, `DeadlineBreached`: the case's owner, else the front office
  (`deadline_warning`, `deadline_breach`).

Pure: the facts the service keeps (the case's owner, the letter's chain and drafter,
the ticket) are handed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID, uuid5

from shared.contracts.vocab import Role

NOTICE_IDS = UUID("2d5b0f2e-7c1a-4f7e-9a3b-51c0de5a7f10")

NoticeKind = Literal[
    "case_assigned", "letter_waiting", "letter_returned", "deadline_warning", "deadline_breach"
]


@dataclass(frozen=True)
class StaffNotice:
    notice_id: UUID
    case_id: UUID
    office: str
    staff_id: str | None  # one member of staff, or
    role: Role | None  # everyone of this role at the office
    kind: NoticeKind
    text: str  # Bahasa Indonesia


def notice_id(cause_event_id: UUID, recipient: str) -> UUID:
    return uuid5(NOTICE_IDS, f"{cause_event_id}/{recipient}")


def staff_id_of(actor: str) -> str:
    """'staff:kabid-1' -> 'kabid-1' (events name staff either way)."""
    return actor.removeprefix("staff:")


ROLE_WORDS = {
    Role.RECEPTIONIST: "resepsionis",
    Role.FRONT_OFFICE: "front office",
    Role.BACK_OFFICE: "back office",
    Role.OFFICER: "petugas",
    Role.COMPLAINT_OFFICER: "petugas pengaduan",
    Role.SUB_COORDINATOR: "sub-koordinator",
    Role.HEAD_OF_DIVISION: "Kabid",
    Role.SECRETARY: "Sekretaris Dinas",
    Role.HEAD_OF_OFFICE: "Kepala Dinas",
    Role.SOCIAL_WORKER: "pekerja sosial",
    Role.PSYCHOLOGIST: "psikolog",
}


def text_for(kind: NoticeKind, ticket: str, *, role: Role | None = None, due: str = "") -> str:
    match kind:
        case "case_assigned":
            return f"Permohonan {ticket} ditugaskan kepada Anda."
        case "letter_waiting":
            who = ROLE_WORDS.get(role, str(role)) if role else "Anda"
            return f"Surat untuk permohonan {ticket} menunggu di langkah Anda ({who})."
        case "letter_returned":
            return f"Draf surat untuk permohonan {ticket} dikembalikan untuk diperbaiki."
        case "deadline_warning":
            return f"Batas waktu permohonan {ticket} segera tiba ({due})."
        case "deadline_breach":
            return f"Batas waktu permohonan {ticket} terlampaui ({due})."


def next_role(chain: tuple[Role, ...], after: Role) -> Role | None:
    """The role after `after` in a letter's chain (None: it was the last)."""
    if after in chain:
        index = chain.index(after)
        return chain[index + 1] if index + 1 < len(chain) else None
    return None
