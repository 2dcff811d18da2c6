"""All the service clients, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.dashboard.adapters.clients.casework import CaseworkClient
from services.dashboard.adapters.clients.documents import DocumentsClient
from services.dashboard.adapters.clients.eligibility import EligibilityClient
from services.dashboard.adapters.clients.intake import IntakeClient
from services.dashboard.adapters.clients.notifications import NotificationsClient
from services.dashboard.config import DashboardSettings

SERVICES = ("intake", "eligibility", "documents", "casework", "notifications")


@dataclass
class Services:
    intake: IntakeClient
    eligibility: EligibilityClient
    documents: DocumentsClient
    casework: CaseworkClient
    notifications: NotificationsClient
    _http: list[httpx.AsyncClient]

    @classmethod
    def from_settings(
        cls, settings: DashboardSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> Services:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        timeout = httpx.Timeout(settings.slrt_service_timeout_seconds)
        http = {
            name: httpx.AsyncClient(
                base_url=settings.service_url(name),
                limits=limits,
                timeout=timeout,
                transport=transport,
            )
            for name in SERVICES
        }
        return cls(
            intake=IntakeClient(http["intake"]),
            eligibility=EligibilityClient(http["eligibility"]),
            documents=DocumentsClient(http["documents"]),
            casework=CaseworkClient(http["casework"]),
            notifications=NotificationsClient(http["notifications"]),
            _http=list(http.values()),
        )

    async def close(self) -> None:
        for client in self._http:
            await client.aclose()
