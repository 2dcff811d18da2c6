"""eligibility: the DTKS/DTSEN verdict of a case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.dashboard.adapters.clients.base import ServiceClient


class EligibilityClient(ServiceClient):
    service = "eligibility"

    async def verdict(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/eligibility`."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/eligibility", token)
        return result

    async def recheck(self, token: str, case_id: UUID, nik: str) -> dict[str, Any]:
        """`POST /v1/cases/{id}/eligibility/recheck`: the registry again, with a NIK."""
        result: dict[str, Any] = await self.post(
            f"/v1/cases/{case_id}/eligibility/recheck", token, json={"nik": nik}
        )
        return result
