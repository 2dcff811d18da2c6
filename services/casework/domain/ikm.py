"""The community satisfaction index (Indeks Kepuasan Masyarakat, PermenPANRB 14/2017).

Nine elements (unsur), each answered 1 (tidak baik) to 4 (sangat baik). Per element the
average score (NRR) over the respondents; each element weighs the same, 1/9 (the
regulation writes 0.111); the IKM is the weighted sum (1-4), and the unit's index is it
times 25 (25-100), graded by the regulation's intervals:

    index 25.00-64.99  D  Tidak baik
          65.00-76.60  C  Kurang baik
          76.61-88.30  B  Baik
          88.31-100.00 A  Sangat baik
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ELEMENTS: dict[str, str] = {
    "u1": "Persyaratan",
    "u2": "Sistem, mekanisme, dan prosedur",
    "u3": "Waktu penyelesaian",
    "u4": "Biaya/tarif",
    "u5": "Produk spesifikasi jenis pelayanan",
    "u6": "Kompetensi pelaksana",
    "u7": "Perilaku pelaksana",
    "u8": "Penanganan pengaduan, saran dan masukan",
    "u9": "Sarana dan prasarana",
}
WEIGHT = 1 / len(ELEMENTS)
_GRADES: tuple[tuple[float, str, str], ...] = (
    (88.31, "A", "Sangat baik"),
    (76.61, "B", "Baik"),
    (65.00, "C", "Kurang baik"),
    (25.00, "D", "Tidak baik"),
)


def score_problems(scores: Mapping[str, int]) -> list[str]:
    """What is wrong with one answer sheet (empty: it is valid)."""
    problems = [f"{k}: missing" for k in ELEMENTS if k not in scores]
    problems += [f"{k}: not an element (u1..u9)" for k in scores if k not in ELEMENTS]
    problems += [
        f"{k}: {v} is not a score 1-4"
        for k, v in scores.items()
        if k in ELEMENTS and (not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 4)
    ]
    return problems


def grade(index: float) -> tuple[str, str]:
    rounded = round(index, 2)
    for floor, letter, label in _GRADES:
        if rounded >= floor:
            return letter, label
    return "D", "Tidak baik"


@dataclass(frozen=True)
class IkmResult:
    respondents: int
    element_averages: dict[str, float]  # NRR per element
    ikm: float  # weighted average, 1-4
    index: float  # ikm * 25, 25-100
    grade: str
    label: str


def ikm(sheets: Iterable[Mapping[str, int]]) -> IkmResult | None:
    """The index over the answer sheets; None without any."""
    rows = list(sheets)
    if not rows:
        return None
    averages = {k: sum(r[k] for r in rows) / len(rows) for k in ELEMENTS}
    value = sum(avg * WEIGHT for avg in averages.values())
    index = value * 25
    letter, label = grade(index)
    return IkmResult(
        respondents=len(rows),
        element_averages={k: round(v, 3) for k, v in averages.items()},
        ikm=round(value, 3),
        index=round(index, 2),
        grade=letter,
        label=label,
    )
