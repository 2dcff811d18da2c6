"""Use case: a citizen answers the satisfaction survey about their finished case."""

from __future__ import annotations

from uuid import UUID

from services.casework.domain import survey
from services.casework.domain.commands import AnswerSurvey
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.refusal import Refused


async def answer_survey(
    new_uow: NewUnitOfWork,
    case: CaseRef | None,
    cmd: AnswerSurvey,
    *,
    respondent: str,
    correlation_id: UUID,
    survey_id: UUID,
) -> None:
    """SurveyAnswered, once per finished case. `case` is the case of the ticket (None:
    no such ticket); `respondent` is `citizen`, or `staff:<id>` when a staff token came
    along (staff who handled the case cannot answer its survey)."""
    survey.check_scores(cmd.scores)
    if case is None:
        raise Refused.not_found("ticket_not_found", f"No case with ticket {cmd.ticket_number}.")
    actor = Actor(actor=respondent, correlation_id=correlation_id, staff_id=respondent)
    await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: survey.answer_survey(
            state, cmd.scores, respondent=respondent, survey_id=survey_id
        ),
    )
