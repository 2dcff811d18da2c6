"""The folded case as stored between events (`casework.case_states`): `CaseState` to JSON
and back, exactly (pydantic validates the frozen dataclasses, tuples, UUIDs, aware
datetimes and literals back into the same values).

`FOLD_VERSION` says which fold made a stored state: raise it whenever `model.apply` (or
`CaseState`) changes meaning, and every stored state is then ignored and refolded from the
case's timeline when its case is next touched (or all at once by a rebuild).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from services.casework.domain.model import CaseState

FOLD_VERSION = 2  # 2: LetterIssued folds (`letter_issued`); counselling pauses the LK3 clock

_STATE: TypeAdapter[CaseState] = TypeAdapter(CaseState)


def state_to_json(state: CaseState) -> dict[str, Any]:
    """The state as JSON-ready data (strings for UUIDs and datetimes, lists for tuples)."""
    data: dict[str, Any] = _STATE.dump_python(state, mode="json")
    return data


def state_from_json(data: Mapping[str, Any]) -> CaseState:
    """The state `state_to_json` gave, as the very same `CaseState`."""
    return _STATE.validate_python(data)
