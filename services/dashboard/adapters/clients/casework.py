"""casework: the case file and timeline, work queues, deadlines, lifecycle commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.dashboard.adapters.clients.base import ServiceClient


class CaseworkClient(ServiceClient):
    service = "casework"

    async def work_queue(self, token: str, *, mine: bool = False) -> dict[str, Any]:
        """`GET /v1/work/queue`: cases waiting for the caller's roles, soonest due first."""
        result: dict[str, Any] = await self.get(
            "/v1/work/queue", token, params={"mine": "true"} if mine else None
        )
        return result

    async def case_file(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}`: status, deadline and the full timeline (the read is logged)."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}", token)
        return result

    async def deadline(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/deadline`: the clock (remaining office time, warned, breached)."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/deadline", token)
        return result

    async def cases(self, token: str, *, status: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.get(
            "/v1/cases", token, params={"status": status} if status else None
        )
        return result

    async def command(
        self, token: str, case_id: UUID, action: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """`POST /v1/cases/{id}/{action}` (take-up, assign, pause, resume, resolve, ...)."""
        result: dict[str, Any] = await self.post(f"/v1/cases/{case_id}/{action}", token, json=body)
        return result

    # ---- the office dashboard ----------------------------------------------------------

    async def office_summary(
        self, token: str, since: datetime, until: datetime | None = None
    ) -> dict[str, Any]:
        """`GET /v1/work/summary`: registered in the period by channel and service,
        resolved (and within the published time), open and overdue now."""
        params = {"since": since.isoformat()}
        if until is not None:
            params["until"] = until.isoformat()
        result: dict[str, Any] = await self.get("/v1/work/summary", token, params=params)
        return result

    async def ikm(
        self, token: str, since: datetime, until: datetime | None = None
    ) -> dict[str, Any]:
        """`GET /v1/work/ikm`: the satisfaction index over the survey answers of the period."""
        params = {"since": since.isoformat()}
        if until is not None:
            params["until"] = until.isoformat()
        result: dict[str, Any] = await self.get("/v1/work/ikm", token, params=params)
        return result

    async def overdue(self, token: str) -> dict[str, Any]:
        """`GET /v1/work/overdue`: open cases past their deadline, longest overdue first."""
        result: dict[str, Any] = await self.get("/v1/work/overdue", token)
        return result

    async def case_list(
        self, token: str, *, status: str | None = None, limit: int = 500
    ) -> dict[str, Any]:
        """`GET /v1/cases`: the office's cases, newest first (at most 500)."""
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        result: dict[str, Any] = await self.get("/v1/cases", token, params=params)
        return result

    async def social_work(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/social-work`: the LK3 steps with their budgets."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/social-work", token)
        return result
