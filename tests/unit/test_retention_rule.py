"""The retention rule's pure parts: the catalogue's `retention_years` (default, bounds),
the cut-off, and a person held by any case not past retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.casework.domain.retention import cutoffs, legal_basis, past_retention, years_before
from shared.catalogue import load_catalogue
from shared.catalogue.model import Office

ENDED = ("closed", "forwarded", "merged")


def test_every_office_states_its_retention_and_the_default_is_five_years() -> None:
    catalogue = load_catalogue()
    assert {o.retention_years for o in catalogue.offices.values()} == {5}
    raw: dict[str, Any] = catalogue.office("kupang").model_dump(mode="json")
    raw.pop("retention_years")
    assert Office.model_validate(raw).retention_years == 5
    for wrong in (0, -1, 31, "lima"):
        with pytest.raises(ValidationError, match="retention_years"):
            Office.model_validate({**raw, "retention_years": wrong})


def test_the_cut_off_is_whole_calendar_years_back() -> None:
    assert years_before(datetime(2031, 3, 1, tzinfo=UTC), 5) == datetime(2026, 3, 1, tzinfo=UTC)
    assert years_before(datetime(2032, 2, 29, tzinfo=UTC), 5) == datetime(2027, 2, 28, tzinfo=UTC)
    assert cutoffs({"kupang": 5, "pariaman": 10}, datetime(2040, 1, 1, tzinfo=UTC)) == {
        "kupang": datetime(2035, 1, 1, tzinfo=UTC),
        "pariaman": datetime(2030, 1, 1, tzinfo=UTC),
    }
    assert (
        legal_basis("kupang", 5) == "retensi: kasus ditutup lebih dari 5 tahun (catalogue kupang)"
    )


def test_a_person_is_past_retention_only_when_every_case_is() -> None:
    cut = {"kupang": datetime(2030, 1, 1, tzinfo=UTC)}
    old = datetime(2024, 1, 1, tzinfo=UTC)
    recent = datetime(2030, 6, 1, tzinfo=UTC)
    a, b = uuid4(), uuid4()
    assert past_retention(
        [a, b], {a: ("kupang", "closed", old), b: ("kupang", "merged", old)}, cut, ENDED
    )
    assert not past_retention(
        [a, b], {a: ("kupang", "closed", old), b: ("kupang", "closed", recent)}, cut, ENDED
    )
    assert not past_retention(
        [a, b], {a: ("kupang", "closed", old), b: ("kupang", "in_progress", old)}, cut, ENDED
    )
    assert not past_retention([a, b], {a: ("kupang", "closed", old)}, cut, ENDED)  # b unknown
    assert not past_retention([a], {a: ("elsewhere", "closed", old)}, cut, ENDED)  # no rule
