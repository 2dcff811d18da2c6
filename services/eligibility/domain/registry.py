"""A person as the DTKS/DTSEN registry lists them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.eligibility.domain.nik import NikInvalid, parse_nik

VillageCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")]
Programme = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$")]

# Only an active listing counts; the registry keeps the others for its own history.
ACTIVE = "active"


class RegistryMember(BaseModel):
    """One row of a registry extract. Personal data (UU 27/2022)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    nik: str = Field(description="Structurally valid 16-digit NIK.")
    kk_number: str = Field(pattern=r"^\d{16}$", description="Family card number.")
    name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    relation: str | None = Field(
        default=None, max_length=40, examples=["kepala_keluarga", "istri", "anak"]
    )
    region_code: VillageCode = Field(
        description="Village (desa/kelurahan) of the household.", examples=["35.08.01.2001"]
    )
    decile: int | None = Field(default=None, ge=1, le=10, description="Welfare decile.")
    programmes: tuple[Programme, ...] = Field(default=(), examples=[["PKH", "BPNT"]])
    status: str = Field(default=ACTIVE, min_length=1, max_length=40)
    source: Literal["DTKS", "DTSEN"] = "DTKS"
    snapshot_date: date = Field(description="Date of the registry extract.")

    @field_validator("nik")
    @classmethod
    def _nik(cls, value: str) -> str:
        try:
            parse_nik(value)
        except NikInvalid as exc:
            raise ValueError(f"not a NIK: {exc}") from None
        return value

    @property
    def listed(self) -> bool:
        return self.status == ACTIVE
