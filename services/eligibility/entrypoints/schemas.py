"""The response shapes of eligibility's HTTP API (issue 18.7). The views build
dictionaries; these models say what they hold (times stay the ISO strings they write)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from services.eligibility.domain.registry import ListingHistoryEntry
from shared.api_models import IsoDate, IsoTime, OpenModel, Page


class DtksCheck(OpenModel):
    status: str | None = Field(description="The registry's word: verified, not_found…")
    reason: str | None
    result: dict[str, Any] | None = Field(description="The recorded event's data.")


class DomicileCheck(OpenModel):
    status: str | None
    result: dict[str, Any] | None = Field(description="The recorded event's data.")


class CheckEvent(OpenModel):
    event_type: str
    event_id: str


class EligibilityCheck(OpenModel):
    """A case's latest registry and domicile check."""

    case_id: UUID
    office: str
    service: str
    checked_at: IsoTime
    dtks: DtksCheck
    domicile: DomicileCheck
    events: list[CheckEvent] = Field(description="The events the check recorded.")
    caused_by: str = Field(description="The event (or staff recheck) that caused it.")
    checks: int = Field(description="How many checks this case has had.")


class Upserted(OpenModel):
    upserted: int


class Reject(OpenModel):
    line_no: int
    reason: str = Field(description="Machine-readable code.")
    detail: str
    raw: str = Field(description="The line as received.")


class ImportReport(OpenModel):
    snapshot_id: int
    source: str
    snapshot_date: IsoDate
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_carried: int = Field(
        description="Members of other offices' regions carried over from the last snapshot."
    )
    amendments_carried: int = Field(
        description="Amended members taken from a newer extract than this one, carried over "
        "in place of this extract's row for their NIK."
    )
    rejects: list[Reject] = Field(description="The first rejected rows (a sample).")
    timings: dict[str, float] = Field(description="Seconds per step.")


class Snapshot(OpenModel):
    snapshot_id: int
    source: str
    snapshot_date: IsoDate
    origin: str
    status: str = Field(description="loading, current, superseded or failed.")
    rows_read: int | None
    rows_loaded: int | None
    rows_rejected: int | None
    error: str | None
    started_at: IsoTime
    finished_at: IsoTime | None
    superseded_at: IsoTime | None


class SnapshotList(Page):
    snapshots: list[Snapshot]


class RejectList(Page):
    snapshot_id: int
    rejects: list[Reject]


class Listing(OpenModel):
    """A person as the current snapshot lists them (personal data)."""

    nik: str
    kk_number: str
    name: str
    birth_date: IsoDate | None
    relation: str | None
    address: str | None
    region_code: str
    decile: int | None
    programmes: list[str]
    status: str
    source: str
    snapshot_date: IsoDate


class ListingHistory(OpenModel):
    nik: str
    history: list[ListingHistoryEntry]
