"""Settings of the notifications service alone (the shared Settings stay service-neutral).

Channel credentials are per office and channel, from the environment (`SLRT_CHANNELS`, a
JSON object) or a file (`SLRT_CHANNELS_FILE`, the same JSON, e.g. a mounted secret); never
from the catalogue. The key `"*"` gives every office the same account (one shared SMTP
relay, say); an office's own entry wins, channel by channel. Example:

    SLRT_CHANNELS='{"*": {"email": {"host": "smtp.example.go.id", "port": 587,
                                    "username": "slrt", "password": "…", "starttls": true}},
                    "kupang": {"whatsapp": {"phone_number_id": "1234", "access_token": "…"}}}'

A channel with no account for an office leaves that office's messages on it pending with
the reason `channel_not_configured` (visible to staff); start-up logs which are live.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import SECRETS_DIR


class _Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailAccount(_Account):
    """An SMTP relay the office's mail goes out through (submission, RFC 6409)."""

    host: str
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = Field(default=False, description="STARTTLS after connecting (port 587).")
    use_tls: bool = Field(default=False, description="Implicit TLS (port 465).")
    from_address: str | None = Field(
        default=None, description="Default: the office's mailbox in the catalogue."
    )


class WhatsAppAccount(_Account):
    """WhatsApp Cloud API: the business phone number's id and a system-user token."""

    phone_number_id: str
    access_token: SecretStr
    base_url: str | None = None
    template_name: str = Field(
        default="slrt_pemberitahuan",
        description="An approved utility template with two body parameters (ticket number, "
        "message), used outside the 24-hour customer-care window.",
    )
    template_language: str = "id"


class MessengerAccount(_Account):
    """Messenger send API for a Facebook page or its Instagram professional account."""

    page_id: str
    access_token: SecretStr
    base_url: str | None = None


class XAccount(_Account):
    """X API v2 direct messages, with the office account's OAuth 2.0 user token."""

    access_token: SecretStr
    base_url: str | None = None


class LaporAccount(_Account):
    """The SP4N-LAPOR! connector token of the office (the agency's integration account)."""

    access_token: SecretStr
    base_url: str | None = None


class OfficeChannels(_Account):
    email: EmailAccount | None = None
    whatsapp: WhatsAppAccount | None = None
    facebook: MessengerAccount | None = None
    instagram: MessengerAccount | None = None
    twitter: XAccount | None = None
    sp4n_lapor: LaporAccount | None = None


class NotificationsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        case_sensitive=False,
        # SLRT_CHANNELS and SLRT_STAFF_EMAILS may come as files too (deploy/: secrets).
        secrets_dir=SECRETS_DIR if SECRETS_DIR.is_dir() else None,
    )

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
    slrt_documents_url: str | None = Field(
        default=None,
        description="Where notifications fetches a signed letter's PDF to attach it "
        "(documents' `GET /v1/letters/{id}.pdf`, with a service token). Default: "
        "SLRT_PUBLIC_BASE_URL.",
    )
    slrt_channels: dict[str, OfficeChannels] = Field(
        default_factory=dict, description="Channel accounts per office ('*': every office)."
    )
    slrt_channels_file: Path | None = Field(
        default=None, description="A JSON file with the same content as SLRT_CHANNELS."
    )
    slrt_whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    slrt_messenger_api_url: str = "https://graph.facebook.com/v21.0"
    slrt_x_api_url: str = "https://api.x.com"
    slrt_lapor_api_url: str = Field(
        default="https://api.lapor.go.id",
        description="Base URL of the SP4N-LAPOR! connector API the office was given.",
    )
    slrt_delivery_max_attempts: int = Field(default=10, ge=1, le=50)
    slrt_delivery_backoff_base_seconds: float = Field(default=2.0, gt=0)
    slrt_delivery_backoff_cap_seconds: float = Field(default=300.0, gt=0)
    slrt_delivery_timeout_seconds: float = Field(default=15.0, gt=0)
    slrt_delivery_concurrency: int = Field(default=4, ge=1, le=64)
    slrt_delivery_poll_seconds: float = Field(default=1.0, gt=0)

    def channels(self) -> dict[str, OfficeChannels]:
        """The accounts from SLRT_CHANNELS_FILE, then SLRT_CHANNELS over them."""
        found: dict[str, OfficeChannels] = {}
        if self.slrt_channels_file is not None:
            data = json.loads(self.slrt_channels_file.read_text())
            found.update({k: OfficeChannels.model_validate(v) for k, v in data.items()})
        found.update(self.slrt_channels)
        return found


@lru_cache(maxsize=1)
def get_notifications_settings() -> NotificationsSettings:
    return NotificationsSettings()
