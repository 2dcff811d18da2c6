"""documents: checklists, uploads, letters and their approval chain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.dashboard.adapters.clients.base import ServiceClient


class DocumentsClient(ServiceClient):
    service = "documents"

    async def checklist(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/checklist`."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/checklist", token)
        return result

    async def letter(self, token: str, letter_id: UUID) -> dict[str, Any]:
        result: dict[str, Any] = await self.get(f"/v1/letters/{letter_id}", token)
        return result
