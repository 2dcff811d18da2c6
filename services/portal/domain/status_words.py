"""What the status page says for each status casework reports: its finer status where it
gives one (`CaseStatus`, `services/casework/domain/model.py`), else its lifecycle stage,
chosen by `shared.contracts.case_stages.status_key`.

The words are the office's, from the catalogue messages (`status.<key>.label` / `.next`;
the default wording in `catalogue/messages/default.yaml`, which notifications' answer to
"status <ticket>" uses too), each saying honestly where the request stands and what the
citizen can do. A status the portal has no words for is never told as "Diterima": the
page says it cannot show the status and to ask the office (`UNKNOWN`), and the lookup
logs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts.case_stages import FINER_STATUSES, STAGES


@dataclass(frozen=True)
class StatusWords:
    label: str
    next_step: str


# Every key the status page can be given words for (a test holds casework's statuses to it).
PORTAL_STATUSES: frozenset[str] = frozenset(STAGES) | frozenset(FINER_STATUSES)

UNKNOWN = StatusWords(
    "Status belum dapat ditampilkan",
    "Status permohonan Anda belum dapat kami tampilkan di sini. Hubungi kantor kami "
    "(kontak di bawah) dengan menyebut nomor tiket untuk menanyakan perkembangannya.",
)


def words_for(key: str, office_pieces: Mapping[str, str]) -> StatusWords | None:
    """The office's words for status `key`; None for one the portal does not know (the
    caller shows `UNKNOWN`)."""
    label, next_step = f"status.{key}.label", f"status.{key}.next"
    if key in PORTAL_STATUSES and label in office_pieces and next_step in office_pieces:
        return StatusWords(office_pieces[label], office_pieces[next_step])
    return None
