"""The other services, as the portal reaches them: intake's and casework's internal read
APIs (the services' shared key, `shared.internal_api`) and casework's survey endpoint.
The portal keeps nothing; everything it shows is read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

from shared.internal_api import internal_headers


@dataclass(frozen=True)
class VerifiedTicket:
    case_id: UUID
    ticket_number: str
    office: str


@dataclass(frozen=True)
class PublicStatus:
    stage: str
    service: str
    # casework's finer status (`CaseStatus`: "not_eligible", "letter_signed", ...), when
    # its read gives one; None: only the stage is known.
    status: str | None
    due_at: datetime | None
    # Where `status` is not_eligible: "dtks" (not listed) or "domicile" (outside the area).
    not_eligible_because: str | None
    paused: bool
    published_time: str | None
    # Why the clock stands: "citizen", "agency" or "counselling" (None: not paused, or an
    # older casework that does not say).
    paused_for: str | None = None


class Services:
    def __init__(self, intake_url: str, casework_url: str, *, timeout: float = 5.0) -> None:
        self.client = httpx.AsyncClient(timeout=timeout, headers=internal_headers())
        self.intake_url = intake_url.rstrip("/")
        self.casework_url = casework_url.rstrip("/")

    async def close(self) -> None:
        await self.client.aclose()

    async def verify(self, office: str, ticket: str, code: str) -> VerifiedTicket | None:
        """The case when intake says the pair opens it; None for any kind of wrong."""
        answer = await self.client.post(
            f"{self.intake_url}/v1/internal/check-codes/verify",
            json={"office": office, "ticket_number": ticket, "code": code},
        )
        if answer.status_code in (404, 422):
            return None
        answer.raise_for_status()
        body = answer.json()
        return VerifiedTicket(UUID(body["case_id"]), body["ticket_number"], body["office"])

    async def public_status(self, case_id: UUID) -> PublicStatus | None:
        """casework's view; None while casework has not seen the case yet."""
        answer = await self.client.get(
            f"{self.casework_url}/v1/internal/cases/{case_id}/public-status"
        )
        if answer.status_code in (404, 409):
            return None
        answer.raise_for_status()
        body = answer.json()
        due = body.get("due_at")
        return PublicStatus(
            stage=body["stage"],
            service=body["service"],
            status=body.get("status"),
            not_eligible_because=body.get("not_eligible_because"),
            due_at=datetime.fromisoformat(due) if due else None,
            paused=bool(body.get("paused")),
            paused_for=body.get("paused_for"),
            published_time=body.get("published_time"),
        )

    async def answer_survey(
        self, ticket: str, scores: dict[str, int], survey_link: str
    ) -> tuple[int, str | None]:
        """casework's `POST /v1/surveys`, with the signed link's token (casework checks
        it too): (HTTP status, refusal code or None)."""
        answer = await self.client.post(
            f"{self.casework_url}/v1/surveys",
            json={"ticket_number": ticket, "scores": scores, "survey_link": survey_link},
        )
        code: str | None = None
        if answer.status_code >= 400:
            try:
                body: Any = answer.json()
                code = body.get("error", {}).get("code")
            except ValueError:
                code = None
        return answer.status_code, code
