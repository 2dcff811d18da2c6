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

    # ---- reception, triage and duplicates (the office pages) ----------------------------

    async def office_catalogue(self, token: str, office: str) -> dict[str, Any]:
        """`GET /v1/catalogue/{office}`: the office's published standards (services,
        variants, each variant's required documents)."""
        result: dict[str, Any] = await self.get(f"/v1/catalogue/{office}", token)
        return result

    async def visits_today(self, token: str) -> list[dict[str, Any]]:
        """`GET /v1/desk/visits`: today's guest book (the office's day), by queue number."""
        result: dict[str, Any] = await self.get("/v1/desk/visits", token)
        return list(result["items"])

    async def sign_guest_book(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /v1/desk/visits`: a queue number and a guest-book entry."""
        result: dict[str, Any] = await self.post("/v1/desk/visits", token, json=body)
        return result

    async def call_visit(self, token: str, visit_id: str) -> dict[str, Any]:
        """`POST /v1/desk/visits/{id}/call`: the number is called to the desk (once)."""
        result: dict[str, Any] = await self.post(f"/v1/desk/visits/{visit_id}/call", token)
        return result

    async def id_cards_held(self, token: str) -> list[dict[str, Any]]:
        """`GET /v1/desk/id-cards`: ID cards left at reception and not yet handed back."""
        result: dict[str, Any] = await self.get("/v1/desk/id-cards", token)
        return list(result["items"])

    async def return_id_card(self, token: str, visit_id: str) -> dict[str, Any]:
        """`POST /v1/desk/visits/{id}/id-card/return`."""
        result: dict[str, Any] = await self.post(
            f"/v1/desk/visits/{visit_id}/id-card/return", token
        )
        return result

    async def classify(self, token: str, inbound_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /v1/triage/{inbound_id}/classify`: the message becomes a case."""
        result: dict[str, Any] = await self.post(
            f"/v1/triage/{inbound_id}/classify", token, json=body
        )
        return result

    async def decide_duplicate(
        self, token: str, case_id: str, decision: str, reason: str = ""
    ) -> dict[str, Any]:
        """`POST /v1/cases/{id}/duplicate/confirm` (casework merges) or `/dismiss`."""
        result: dict[str, Any] = await self.post(
            f"/v1/cases/{case_id}/duplicate/{decision}",
            token,
            json={"reason": reason} if decision == "dismiss" else None,
        )
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
