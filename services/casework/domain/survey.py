"""The citizen's satisfaction survey about a finished case (the IKM's answer sheets)."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from services.casework.domain import ikm
from services.casework.domain.model import CaseState
from shared.contracts.base import Event
from shared.contracts.casework_events import SurveyAnswered
from shared.refusal import Refused


def check_scores(scores: Mapping[str, int]) -> None:
    """Refuse (422) an answer sheet that is not nine scores 1-4."""
    problems = ikm.score_problems(scores)
    if problems:
        raise Refused.invalid(
            "invalid_scores", "Each of u1..u9 needs a score 1-4.", details={"problems": problems}
        )


def answer_survey(
    state: CaseState, scores: Mapping[str, int], *, respondent: str, survey_id: UUID
) -> list[Event]:
    """Once per case, about a finished case, and never by staff who handled it."""
    if state.stage not in ("answered", "resolved", "closed"):
        raise Refused.conflict(
            "case_not_finished",
            "The survey is about a finished case.",
            details={"stage": state.stage},
        )
    if state.surveyed:
        raise Refused.conflict("already_surveyed", "This case's survey was answered.")
    if respondent in state.handled_by:
        raise Refused.forbidden(
            "handled_case", "Staff who handled the case cannot answer its satisfaction survey."
        )
    return [
        SurveyAnswered(
            case_id=state.case_id,
            by=respondent,
            survey_id=survey_id,
            office=str(state.office),
            service=str(state.service),
            scores=dict(scores),
        )
    ]
