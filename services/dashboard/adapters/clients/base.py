"""The part every service client shares: one pooled `httpx.AsyncClient` per service, the
person's bearer token on every call, and refusals turned into `shared.refusal.Refused`
with the service's own code (the pages explain it in Bahasa Indonesia)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)


class ServiceClient:
    """Calls to one service. Subclasses add one method per call the pages make."""

    service = "service"

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, path: str, token: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self._send("GET", path, token, params=params)

    async def post(
        self,
        path: str,
        token: str,
        *,
        json: Any | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        return await self._send("POST", path, token, json=json, data=data, files=files)

    async def _send(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        try:
            response = await self.http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("service_unreachable", service=self.service, error=repr(exc))
            raise Refused(
                "service_unavailable",
                f"{self.service} did not answer: {exc.__class__.__name__}",
                status=503,
                details={"service": self.service},
            ) from exc
        if response.status_code >= 400:
            raise _refusal(self.service, response)
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content


def _refusal(service: str, response: httpx.Response) -> Refused:
    code, message, details = f"http_{response.status_code}", response.reason_phrase, {}
    try:
        error = response.json().get("error", {})
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
        if isinstance(error.get("details"), dict):
            details = error["details"]
        elif error.get("details") is not None:
            details = {"errors": error["details"]}
    except (ValueError, AttributeError):
        pass
    status = response.status_code if response.status_code < 500 else 502
    if response.status_code >= 500:
        code = "service_unavailable" if code.startswith("http_") else code
    return Refused(code, message, status=status, details={**details, "service": service})
