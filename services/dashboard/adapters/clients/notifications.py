"""notifications: what the citizen was told about a case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.dashboard.adapters.clients.base import ServiceClient


class NotificationsClient(ServiceClient):
    service = "notifications"

    async def of_case(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/notifications`."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/notifications", token)
        return result
