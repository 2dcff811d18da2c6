"""The staff web app's settings: the shared ones plus where the services answer and how
sign-in behaves. Everything comes from the environment (`SLRT_...`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from shared.settings import DEFAULT_PORTS, Settings

SERVICE = "dashboard"


class DashboardSettings(Settings):
    # Where each service's HTTP API answers (`make up` passes them; default: local ports).
    slrt_intake_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['intake']}"
    slrt_eligibility_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['eligibility']}"
    slrt_documents_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['documents']}"
    slrt_casework_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['casework']}"
    slrt_notifications_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['notifications']}"
    slrt_service_timeout_seconds: float = 10.0

    # The token the dashboard mints for the signed-in person, per request to a service.
    slrt_dashboard_token_minutes: int = Field(default=10, ge=1, le=60)
    # Sessions: ended after this long idle, and at the latest after the absolute limit.
    slrt_dashboard_session_idle_minutes: int = 120
    slrt_dashboard_session_hours: int = 12
    # Lock-out: this many wrong passwords in a row lock the account for this long.
    slrt_dashboard_max_failed_sign_ins: int = 5
    slrt_dashboard_lockout_minutes: int = 15
    # The session cookie: Secure in production (HTTPS); SameSite Strict by default.
    slrt_dashboard_cookie_secure: bool | None = Field(
        default=None, description="Default: on when SLRT_ENVIRONMENT=production."
    )
    slrt_dashboard_cookie_samesite: Literal["strict", "lax"] = "strict"
    # Open pages per process before new live connections are turned away (503).
    slrt_dashboard_max_live_connections: int = 2000

    @property
    def cookie_secure(self) -> bool:
        if self.slrt_dashboard_cookie_secure is not None:
            return self.slrt_dashboard_cookie_secure
        return self.slrt_environment == "production"

    def service_url(self, service: str) -> str:
        url: str = getattr(self, f"slrt_{service}_url")
        return url.rstrip("/")


@lru_cache(maxsize=1)
def get_dashboard_settings() -> DashboardSettings:
    return DashboardSettings()
