"""Settings of the notifications service alone (the shared Settings stay service-neutral)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    slrt_public_base_url: str = Field(
        default="http://127.0.0.1:8103",
        description="Public address of the documents service (the same variable documents "
        "reads): a letter's download link is <this>/v1/letters/<id>/download?code=<code>.",
    )
    slrt_letter_link_ttl_days: int = Field(
        default=7, ge=1, le=90, description="How long a letter's download link stays valid."
    )
    slrt_staff_emails: dict[str, str] = Field(
        default_factory=dict,
        description="Staff id -> e-mail address (JSON), for staff notices by e-mail, until "
        "the staff web app's directory provides them. Personal data: never logged.",
    )


@lru_cache(maxsize=1)
def get_notifications_settings() -> NotificationsSettings:
    return NotificationsSettings()
