"""intake: registrations, the catalogue, inbound messages, triage, duplicates, the desk."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.dashboard.adapters.clients.base import ServiceClient


class IntakeClient(ServiceClient):
    service = "intake"

    async def register(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /v1/requests`: register a walk-in, letter or telephone request."""
        result: dict[str, Any] = await self.post("/v1/requests", token, json=body)
        return result

    async def triage(self, token: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.get("/v1/triage", token)
        return result

    async def duplicates(self, token: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.get("/v1/duplicates", token)
        return result

    async def duplicate_decision(
        self, token: str, case_id: UUID, decision: str, reason: str = ""
    ) -> dict[str, Any]:
        """`POST /v1/cases/{id}/duplicate/{confirm|dismiss}`."""
        body = {"reason": reason} if decision == "dismiss" else None
        result: dict[str, Any] = await self.post(
            f"/v1/cases/{case_id}/duplicate/{decision}", token, json=body
        )
        return result
