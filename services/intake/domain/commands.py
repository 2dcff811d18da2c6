"""Commands intake accepts. The HTTP body of `POST /v1/requests` is `RegisterRequest`.

The schema only checks shape. NIK, KK number, office, service, variant and channel are
plain strings here on purpose: the domain checks them against the rules and the catalogue
so that each refusal gets its own machine-readable reason (`nik_invalid`,
`unknown_channel`, ...) instead of one generic schema error.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

DocumentType = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=64)
]


class NoNul(BaseModel):
    """Text with a NUL character cannot be stored (PostgreSQL text and jsonb refuse it):
    a command carrying one is refused as invalid rather than failing half-way."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        if isinstance(value, tuple) and any(isinstance(v, str) and "\x00" in v for v in value):
            raise ValueError("text must not contain NUL characters")
        return value


def scrub_nul(value: Any) -> Any:
    """What a citizen sent through a channel is never refused for a stray NUL: it is
    replaced (the raw delivery keeps the original bytes)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {scrub_nul(k): scrub_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_nul(v) for v in value)
    return value


class ApplicantIn(NoNul):
    """A person as the staff member typed them in. Personal data (UU 27/2022)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200, examples=["Warga Contoh"])
    nik: str | None = Field(
        default=None,
        max_length=64,
        description="16-digit NIK; spaces, dots and dashes are ignored.",
        examples=["3508014101900001"],
    )
    kk_number: str | None = Field(default=None, max_length=64)
    kks_number: str | None = Field(
        default=None,
        max_length=64,
        description="The 16-digit number on the KKS card (a bank letter carries it); "
        "spaces, dots and dashes are ignored.",
    )
    phone: str | None = Field(default=None, max_length=32, examples=["081200000001"])
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)
    handle: str | None = Field(
        default=None, max_length=200, description="Id on a social channel (set by adapters)."
    )

    def is_empty(self) -> bool:
        return not any((self.name, self.nik, self.kk_number, self.phone, self.email, self.handle))


class RegisterRequest(NoNul):
    """A request or complaint entered by staff (walk-in desk, letter, telephone, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    office: str = Field(min_length=1, max_length=64, examples=["lumajang"])
    service: str = Field(min_length=1, max_length=64, examples=["kks-recommendation"])
    variant: str | None = Field(
        default=None,
        max_length=64,
        description="Omitted: the service's only variant, or one recognised from the "
        "description by the catalogue's classification rules, or none.",
        examples=["reset-pin"],
    )
    channel: str = Field(min_length=1, max_length=32, examples=["walk_in"])
    applicant: ApplicantIn = Field(default_factory=ApplicantIn)
    on_behalf_of: ApplicantIn | None = Field(
        default=None, description="The cardholder, when the applicant acts by proxy."
    )
    description: str = Field(default="", max_length=10_000)
    documents_declared: tuple[DocumentType, ...] = Field(default=(), max_length=50)
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The channel's own id (letter number, SP4N-LAPOR ticket): a request "
        "sent again with the same channel and id returns the case already registered.",
    )
    received_at: AwareDatetime | None = Field(
        default=None,
        description="When the office received it (a letter typed in later); default now.",
    )
    anonymous: bool = False
    confidential: bool = False
    visit_id: UUID | None = Field(
        default=None, description="The walk-in desk visit (guest-book entry) this came from."
    )
