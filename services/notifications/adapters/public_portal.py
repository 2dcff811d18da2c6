"""What messages say about the citizens' public portal (`services/portal`): where the
status page is, the citizen's check code (opened from its sealed copy in
`ComplaintRegistered`, `shared.check_codes`), and the signed one-time link to the
satisfaction survey (`shared.survey_links`). The code and the link are in the message
text and nowhere else: never logged, never on Kafka.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from uuid import UUID

from shared.check_codes import unseal
from shared.settings import Settings, get_settings
from shared.survey_links import mint_survey_token


@dataclass(frozen=True)
class SurveyLink:
    url: str
    expires_at: datetime


class PublicPortal:
    def __init__(
        self,
        *,
        base_url: str,
        check_code_secret: str,
        survey_secret: str,
        survey_ttl: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.check_code_secret = check_code_secret
        self.survey_secret = survey_secret
        self.survey_ttl = survey_ttl
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PublicPortal:
        s = settings or get_settings()
        return cls(
            base_url=s.slrt_portal_url,
            check_code_secret=s.slrt_check_code_secret,
            survey_secret=s.slrt_survey_link_secret,
        )

    def status_url(self, office: str) -> str:
        return f"{self.base_url}/{quote(office, safe='')}/status"

    def check_code(self, sealed: str | None, case_id: UUID) -> str | None:
        return unseal(sealed, case_id, secret=self.check_code_secret) if sealed else None

    def survey_link(self, office: str, ticket_number: str) -> SurveyLink:
        expires_at = (self.clock() + self.survey_ttl).replace(microsecond=0)
        token = mint_survey_token(
            office, ticket_number, secret=self.survey_secret, expires_at=expires_at
        )
        return SurveyLink(f"{self.base_url}/survei?t={quote(token, safe='')}", expires_at)
