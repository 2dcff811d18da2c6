"""The community satisfaction index (Indeks Kepuasan Masyarakat, PermenPANRB 14/2017).

Nine elements (unsur), each answered 1 (tidak baik) to 4 (sangat baik). Per element the
average score (NRR) over the respondents; each element weighs the same, 1/9 (the
regulation writes 0.111); the IKM is the weighted sum (1-4), and the unit's index is it
times 25 (25-100), graded by the regulation's intervals. The elements and the grades are
the survey's contract, `shared.contracts.ikm` (the analysts' monthly report grades by them
too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.contracts.ikm import ELEMENTS as ELEMENTS
from shared.contracts.ikm import grade as grade

WEIGHT = 1 / len(ELEMENTS)


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
