"""The DTKS/DTSEN registry: snapshots of households and their members.

DTKS (Data Terpadu Kesejahteraan Sosial) was succeeded in 2025 by DTSEN (Data Tunggal
Sosial Ekonomi Nasional). One model serves both: a snapshot names its source and date,
and a row amended by hand those of the extract it was taken from.
A household is the people sharing a KK number; its address is a village (desa/kelurahan)
code, whose prefixes are the district, regency and province.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from services.eligibility.domain.nik import KkInvalid, NikInvalid, parse_kk, parse_nik
from services.eligibility.domain.regions import village_exists
from shared.refusal import Refused

VillageCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")]
Source = Literal["DTKS", "DTSEN"]

# Programmes a listing can carry, as bits of registry_listings.programmes.
PROGRAMME_BITS: dict[str, int] = {"PKH": 1, "BPNT": 2, "PBI-JK": 4, "KIP": 8}
# Other names the same programmes go by.
PROGRAMME_ALIASES = {"SEMBAKO": "BPNT", "KIS": "PBI-JK", "PBI": "PBI-JK"}
PROGRAMMES = tuple(PROGRAMME_BITS)

# Relation to the head of household, as the KK lists it.
RELATIONS = frozenset(
    {
        "kepala_keluarga",
        "suami",
        "istri",
        "anak",
        "menantu",
        "cucu",
        "orang_tua",
        "mertua",
        "famili_lain",
        "lainnya",
    }
)
# Only an active listing counts; the registry keeps the others for its own history.
ACTIVE = "active"
STATUSES = frozenset({ACTIVE, "inactive", "deceased", "moved"})


def programme_names(mask: int) -> tuple[str, ...]:
    """3 -> ('PKH', 'BPNT'), in the registry's canonical order."""
    return tuple(name for name, bit in PROGRAMME_BITS.items() if mask & bit)


def canonical_programme(name: str) -> str | None:
    key = name.strip().upper()
    key = PROGRAMME_ALIASES.get(key, key)
    return key if key in PROGRAMME_BITS else None


class RegistryMember(BaseModel):
    """A person as a registry snapshot lists them. Personal data (UU 27/2022)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    nik: str = Field(description="Structurally valid 16-digit NIK.")
    kk_number: str = Field(description="Family card number: the household.")
    name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    relation: str | None = Field(
        default=None, max_length=40, examples=["kepala_keluarga", "istri", "anak"]
    )
    address: str | None = Field(default=None, max_length=500)
    region_code: VillageCode = Field(
        description="Village (desa/kelurahan) of the household.", examples=["35.08.01.2001"]
    )
    decile: int | None = Field(default=None, ge=1, le=10, description="Welfare decile.")
    programmes: tuple[str, ...] = Field(default=(), examples=[["PKH", "BPNT"]])
    status: str = Field(default=ACTIVE, examples=sorted(STATUSES))
    source: Source = Field(
        default="DTKS",
        description="The registry the row was taken from. An amendment keeps it, and a "
        "verification of the person reports it.",
    )
    snapshot_date: date = Field(
        description="Date of the registry extract the row was taken from. An amendment "
        "keeps it (not after today, not before the current snapshot's date)."
    )

    @field_validator("nik", "kk_number")
    @classmethod
    def _identity_number(cls, value: str, info: ValidationInfo) -> str:
        """A NIK (`nik`) or a KK number (`kk_number`), by the Dukcapil rules."""
        nik = info.field_name == "nik"
        try:
            parse_nik(value) if nik else parse_kk(value)
        except (NikInvalid, KkInvalid) as exc:
            raise ValueError(f"not {'a NIK' if nik else 'a KK number'}: {exc}") from None
        return value

    @field_validator("region_code")
    @classmethod
    def _village(cls, value: str) -> str:
        if not village_exists(value):
            raise ValueError(f"{value} is not a village in the Kemendagri codes")
        return value

    @field_validator("relation")
    @classmethod
    def _relation(cls, value: str | None) -> str | None:
        if value is not None and value not in RELATIONS:
            raise ValueError(f"relation is one of {sorted(RELATIONS)}")
        return value

    @field_validator("programmes")
    @classmethod
    def _programmes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = []
        for name in value:
            canonical = canonical_programme(name)
            if canonical is None:
                raise ValueError(f"{name!r} is not one of {list(PROGRAMMES)} (or an alias)")
            names.append(canonical)
        return tuple(dict.fromkeys(names))

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"status is one of {sorted(STATUSES)}")
        return value

    @property
    def female(self) -> bool:
        return parse_nik(self.nik).female

    @property
    def listed(self) -> bool:
        return self.status == ACTIVE


def check_amendment_dates(
    members: Sequence[RegistryMember], *, current_snapshot_date: date | None, today: date
) -> None:
    """An amendment keeps the source and date of the extract it was taken from, and a
    verification reports them: a date that cannot be an extract's is refused (422),
    nothing written, rather than kept.

    - `snapshot_date_in_future`: after today at the office.
    - `snapshot_out_of_order`: older than the current snapshot, which is newer data for
      everyone it lists (as an import of an older extract is refused).
    `details.members` are the indexes of the members at fault."""
    future = [i for i, m in enumerate(members) if m.snapshot_date > today]
    if future:
        raise Refused.invalid(
            "snapshot_date_in_future",
            f"An extract cannot be dated after today ({today.isoformat()}).",
            {"members": future, "today": today.isoformat()},
        )
    if current_snapshot_date is None:
        return
    older = [i for i, m in enumerate(members) if m.snapshot_date < current_snapshot_date]
    if older:
        raise Refused.invalid(
            "snapshot_out_of_order",
            f"The current snapshot is of {current_snapshot_date.isoformat()}; an amendment "
            "from an older extract cannot amend it.",
            {"members": older, "current_snapshot_date": current_snapshot_date.isoformat()},
        )


class ListingHistoryEntry(BaseModel):
    """One snapshot's word on one person: listed there (with what), or absent from it."""

    model_config = ConfigDict(frozen=True)

    snapshot_id: int
    source: Source
    snapshot_date: date
    current: bool
    present: bool
    status: str | None = None
    kk_number: str | None = None
    region_code: str | None = None
    decile: int | None = None
    programmes: tuple[str, ...] = ()
    # Where the person's row in this snapshot came from: the snapshot's own extract, or
    # the extract an amendment named (None where absent).
    listing_source: Source | None = None
    listing_snapshot_date: date | None = None
