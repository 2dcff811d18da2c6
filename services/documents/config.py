"""Settings of the documents service alone (the shared Settings stay service-neutral)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.documents.domain.files import DEFAULT_MAX_BYTES


class DocumentsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    slrt_public_base_url: str = Field(
        default="http://127.0.0.1:8103",
        description="Public address of the documents service: the QR code on a letter opens "
        "<this>/v1/verify/<letter id>?h=<content hash>.",
    )
    slrt_intake_url: str = Field(
        default="http://127.0.0.1:8101",
        description="Intake's HTTP API: it serves the bytes of the files citizens sent "
        "(`CaseAttachmentReceived.content_path`), with the staff member's own token.",
    )
    slrt_documents_max_upload_bytes: int = Field(
        default=DEFAULT_MAX_BYTES, ge=1024, description="Largest scan accepted, in bytes."
    )
    slrt_signing_dir: Path | None = Field(
        default=None,
        description="Where each office's signing key and certificate are "
        "(`<office>.key.pem`, `<office>.cert.pem`, and `chain.pem`): the office's own in "
        "production. Unset: `<SLRT_DATA_DIR>/keys/signing`, where a test CA and test "
        "certificates are made on first use (development, tests).",
    )
    slrt_verify_rate_per_minute: int = Field(
        default=60,
        ge=1,
        description="Requests per minute one client address may make to the public "
        "verification page before it is answered 429 `too_many_requests`.",
    )


@lru_cache(maxsize=1)
def get_documents_settings() -> DocumentsSettings:
    return DocumentsSettings()


def verify_url(letter_id: object, content_sha256: str) -> str:
    base = get_documents_settings().slrt_public_base_url.rstrip("/")
    return f"{base}/v1/verify/{letter_id}?h={content_sha256}"
