"""Settings of the portal alone (the shared Settings stay service-neutral)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    slrt_portal_lookups_per_minute: int = Field(
        default=20, ge=1, description="Status lookups one client address may make a minute."
    )
    slrt_portal_wrong_code_delay_ms: int = Field(
        default=250, ge=0, description="Wait before answering the first wrong code; doubles."
    )
    slrt_portal_max_delay_ms: int = Field(
        default=4000, ge=0, description="The longest wait before answering a wrong code."
    )
    slrt_portal_trust_forwarded_for: bool = Field(
        default=False,
        description="Take the client address from X-Forwarded-For (only behind a proxy "
        "that sets it; otherwise anyone could pick their own address).",
    )


@lru_cache(maxsize=1)
def get_portal_settings() -> PortalSettings:
    return PortalSettings()
