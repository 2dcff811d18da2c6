"""Intake's API for the bytes of a citizen's attachment (`GET <intake>/v1/attachments/{id}`),
called with the staff member's own bearer token: intake decides who may read and records
the read too. Services never read each other's tables; this is the one way across."""

from __future__ import annotations

import httpx

from shared.refusal import Refused


class IntakeFiles:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def fetch(self, content_path: str, authorization: str) -> bytes:
        """The bytes, or the refusal intake gave (its code and status), or 503."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(
                    f"{self.base_url}{content_path}", headers={"Authorization": authorization}
                )
        except httpx.HTTPError as exc:
            raise Refused(
                "intake_unavailable",
                "The file is kept by intake, which cannot be reached now; try again.",
                status=503,
                details={"error": type(exc).__name__},
            ) from None
        if response.status_code == 200:
            return response.content
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            code, message = "intake_unavailable", f"Intake answered {response.status_code}."
        status = response.status_code if 400 <= response.status_code < 500 else 503
        raise Refused(code, message, status=status, details={"from": "intake"})
