"""Commands intake accepts. The HTTP body of `POST /v1/requests` is `RegisterRequest`.

The schema only checks shape. NIK, KK number, office, service, variant and channel are
plain strings here on purpose: the domain checks them against the rules and the catalogue
so that each refusal gets its own machine-readable reason (`nik_invalid`,
`unknown_channel`, ...) instead of one generic schema error.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

DocumentType = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=64)
]


class ApplicantIn(BaseModel):
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
    phone: str | None = Field(default=None, max_length=32, examples=["081200000001"])
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)
    handle: str | None = Field(
        default=None, max_length=200, description="Id on a social channel (set by adapters)."
    )

    def is_empty(self) -> bool:
        return not any((self.name, self.nik, self.kk_number, self.phone, self.email, self.handle))


class RegisterRequest(BaseModel):
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
