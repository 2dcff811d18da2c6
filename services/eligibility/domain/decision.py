"""What eligibility concludes about a registered request, as events.

Two questions, asked only where the office's published standard asks them:
- DTKS (`requires_dtks`): is the person listed, in a household of the office's region?
- Domicile (`domicile_region_code`, LK3 Mataram): does the person live in that region?
  The registry's household address is the better evidence; a person not listed is judged
  by the region the NIK was issued in.

The person is the cardholder when the applicant acts by proxy (`on_behalf_of`), else the
applicant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from services.eligibility.domain.nik import NikInvalid, parse_nik, region_contains
from services.eligibility.domain.registry import RegistryMember
from shared.contracts.base import Event
from shared.contracts.events import (
    ComplaintRegistered,
    DomicileRefused,
    DomicileVerified,
    DtksNotFound,
    DtksVerified,
)

DtksStatus = Literal["verified", "not_found", "not_required"]
DomicileStatus = Literal["verified", "refused", "not_required"]


@dataclass(frozen=True)
class Rules:
    """What the office's standard asks of this service."""

    requires_dtks: bool
    office_region_code: str  # "35.08"
    domicile_region_code: str | None  # "52.71", or None when domicile is not asked

    @property
    def anything_to_check(self) -> bool:
        return self.requires_dtks or self.domicile_region_code is not None


@dataclass(frozen=True)
class Decision:
    events: tuple[Event, ...]
    dtks: DtksStatus
    domicile: DomicileStatus
    reason: str | None = None  # DtksNotFound's reason, when there is one


def subject_nik(event: ComplaintRegistered) -> str | None:
    """The NIK to check: the cardholder's when acting by proxy, else the applicant's."""
    person = event.on_behalf_of or event.applicant
    return person.nik


def _dtks(case_id: UUID, nik: str | None, rules: Rules, member: RegistryMember | None) -> Event:
    if not nik:
        return DtksNotFound(case_id=case_id, nik=None, reason="nik_missing")
    try:
        parse_nik(nik)
    except NikInvalid as exc:
        return DtksNotFound(case_id=case_id, nik=nik, reason="nik_invalid", detail=str(exc))
    if member is None:
        return DtksNotFound(case_id=case_id, nik=nik, reason="not_listed")
    if not member.listed:
        return DtksNotFound(
            case_id=case_id,
            nik=nik,
            reason="not_listed",
            detail=f"registry status {member.status!r} ({member.source} {member.snapshot_date})",
        )
    if not region_contains(rules.office_region_code, member.region_code):
        return DtksNotFound(
            case_id=case_id,
            nik=nik,
            reason="listed_in_other_region",
            detail=f"household in {member.region_code}, office region {rules.office_region_code}",
        )
    return DtksVerified(
        case_id=case_id,
        nik=nik,
        kk_number=member.kk_number,
        region_code=member.region_code,
        decile=member.decile,
        programmes=member.programmes,
        source=member.source,
        snapshot_date=member.snapshot_date,
        name=member.name,  # the registry's name: letters print it, not the channel's
    )


def _domicile(
    case_id: UUID, nik: str | None, required: str, member: RegistryMember | None
) -> Event:
    if not nik:
        return DomicileRefused(
            case_id=case_id,
            required_region_code=required,
            found_region_code=None,
            basis="nik_missing",
        )
    if member is not None and member.listed:
        if region_contains(required, member.region_code):
            return DomicileVerified(
                case_id=case_id, region_code=member.region_code, basis="registry"
            )
        return DomicileRefused(
            case_id=case_id,
            required_region_code=required,
            found_region_code=member.region_code,
            basis="registry",
        )
    try:
        region = parse_nik(nik).regency_code
    except NikInvalid:
        # A number that is not a NIK says nothing about where anyone lives.
        return DomicileRefused(
            case_id=case_id,
            required_region_code=required,
            found_region_code=None,
            basis="nik_region",
        )
    if region_contains(required, region):
        return DomicileVerified(case_id=case_id, region_code=region, basis="nik_region")
    return DomicileRefused(
        case_id=case_id, required_region_code=required, found_region_code=region, basis="nik_region"
    )


def decide(event: ComplaintRegistered, rules: Rules, member: RegistryMember | None) -> Decision:
    """The events answering what `rules` ask; `member` is the registry's row for the NIK."""
    nik = subject_nik(event)
    events: list[Event] = []
    if rules.requires_dtks:
        events.append(_dtks(event.case_id, nik, rules, member))
    if rules.domicile_region_code is not None:
        events.append(_domicile(event.case_id, nik, rules.domicile_region_code, member))
    return decision_of(events)


def decision_of(events: Sequence[Event]) -> Decision:
    """What verdicts say, in short (the `checks` row staff read): each question verified,
    not found / refused, or not asked (no event answering it)."""
    dtks: DtksStatus = "not_required"
    domicile: DomicileStatus = "not_required"
    reason: str | None = None
    for event in events:
        match event:
            case DtksVerified():
                dtks = "verified"
            case DtksNotFound():
                dtks, reason = "not_found", event.reason
            case DomicileVerified():
                domicile = "verified"
            case DomicileRefused():
                domicile = "refused"
    return Decision(events=tuple(events), dtks=dtks, domicile=domicile, reason=reason)
