"""Use case: a citizen answers the satisfaction survey about their finished case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.casework.domain import survey
from services.casework.domain.commands import AnswerSurvey
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.refusal import Refused
from shared.survey_links import check_survey_token


async def answer_survey(
    new_uow: NewUnitOfWork,
    case: CaseRef | None,
    cmd: AnswerSurvey,
    *,
    respondent: str,
    correlation_id: UUID,
    survey_id: UUID,
    survey_secret: str,
    now: datetime,
) -> None:
    """SurveyAnswered, once per finished case. `case` is the case of the ticket (None:
    no such ticket); `respondent` is `citizen`, or `staff:<id>` when a staff token came
    along (staff who handled the case cannot answer its survey). A citizen must bring the
    signed link of their closing message (`shared.survey_links`): tickets are sequential,
    so the ticket alone never answers a survey."""
    if respondent == "citizen":
        _check_link(cmd, case, secret=survey_secret, now=now)
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


def _check_link(cmd: AnswerSurvey, case: CaseRef | None, *, secret: str, now: datetime) -> None:
    """The same refusal for a forged, expired or another ticket's link: nothing tells
    which part was wrong (nor whether the ticket exists)."""
    if not cmd.survey_link:
        raise Refused(
            "survey_link_required",
            "The survey is answered through the signed link of the closing message.",
            status=403,
        )
    link = check_survey_token(cmd.survey_link, secret=secret, now=now)
    if (
        link is None
        or link.ticket_number != cmd.ticket_number
        or (case is not None and link.office != case.office)
    ):
        raise Refused(
            "survey_link_invalid", "The survey link is not valid for this ticket.", status=403
        )
