"""casework's internal public-status read (`GET /v1/internal/cases/{id}/public-status`,
the services' shared key): what notifications tells a citizen who asks "status <ticket>".
No personal data crosses: the stage and finer status (with why a case is not eligible),
the due time, whether the clock is paused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

import httpx

from shared.contracts.case_stages import status_key
from shared.internal_api import internal_headers


@dataclass(frozen=True)
class CaseStatus:
    stage: str
    due_at: datetime | None
    paused: bool
    status: str | None = None  # casework's finer status (`not_eligible`, `letter_signed`...)
    not_eligible_because: str | None = None  # "dtks" | "domicile"

    @property
    def words_key(self) -> str:
        """Which status words tell the citizen where the request stands."""
        return status_key(self.stage, self.status, self.not_eligible_because)


class CaseworkStatus(Protocol):
    async def status_of(self, case_id: UUID) -> CaseStatus | None: ...


class HttpCaseworkStatus:
    """One HTTP client for every read, made at the first (in the loop that uses it) and
    kept: its connections to casework are reused. A client per read cost the delivery
    worker most of its time (each builds its TLS context: ~6 ms of CPU per message;
    `bench/email.py`)."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, headers=internal_headers())
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def status_of(self, case_id: UUID) -> CaseStatus | None:
        """None while casework has not seen the case (it is then just registered);
        raises when casework cannot be reached (the consumer retries the event)."""
        answer = await self._http().get(
            f"{self.base_url}/v1/internal/cases/{case_id}/public-status"
        )
        if answer.status_code in (404, 409):
            return None
        answer.raise_for_status()
        body = answer.json()
        due = body.get("due_at")
        return CaseStatus(
            stage=body["stage"],
            due_at=datetime.fromisoformat(due) if due else None,
            paused=bool(body.get("paused")),
            status=body.get("status"),
            not_eligible_because=body.get("not_eligible_because"),
        )
