"""Use case: a citizen answers the satisfaction survey (IKM, PermenPANRB 14/2017) through
the signed one-time link of their closing message.

The link names the office and ticket and is signed (`shared.survey_links`): it cannot be
made for another ticket. The answers go to casework's `POST /v1/surveys` as the survey
form's always did; casework takes one survey per case, so the link's second use is
refused (`already_used`), as are a forged or expired link (`link_invalid`) and answers
that are not nine scores 1-4 (`scores_invalid`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.portal.adapters.services import Services
from shared.logging import get_logger
from shared.survey_links import SurveyTicket, check_survey_token

log = get_logger(__name__)

Outcome = Literal["accepted", "already_used", "link_invalid", "scores_invalid", "not_finished"]


@dataclass(frozen=True)
class SurveyAnswer:
    outcome: Outcome
    ticket: SurveyTicket | None = None


def open_link(token: str, *, secret: str, now: datetime) -> SurveyTicket | None:
    return check_survey_token(token, secret=secret, now=now)


async def answer_survey(
    services: Services,
    token: str,
    scores: dict[str, int] | None,
    *,
    secret: str,
    now: datetime,
) -> SurveyAnswer:
    ticket = open_link(token, secret=secret, now=now)
    if ticket is None:
        log.warning("survey_link_invalid")
        return SurveyAnswer("link_invalid")
    if scores is None:
        return SurveyAnswer("scores_invalid", ticket)
    status, code = await services.answer_survey(ticket.ticket_number, scores, token)
    if status < 300:
        log.info("survey_answered", office=ticket.office)
        return SurveyAnswer("accepted", ticket)
    if code == "already_surveyed":
        log.warning("survey_link_reused", office=ticket.office)
        return SurveyAnswer("already_used", ticket)
    if code == "case_not_finished":
        return SurveyAnswer("not_finished", ticket)
    if code == "invalid_scores":
        return SurveyAnswer("scores_invalid", ticket)
    log.error("survey_not_taken", office=ticket.office, status=status, code=code)
    raise RuntimeError(f"casework refused the survey: {status} {code}")
