"""Deciding whether a request can become a case, and the event that says it did.

Each refusal is a `shared.refusal.Refused` with a machine-readable code (422 unless it
says otherwise); `shared.http` turns it into the 4xx and the inbound message keeps the
same code, so staff can see what was refused and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from lokal.phone import normalize_phone
from pydantic import ValidationError

from services.intake.domain.commands import ApplicantIn, RegisterRequest
from shared.catalogue import Catalogue, Office, ServiceStandard, UnknownEntry
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel
from shared.refusal import Refused

# Clocks of desk PCs drift; a letter dated a few minutes ahead is not an error.
CLOCK_SKEW = timedelta(minutes=5)
_SEPARATORS = re.compile(r"[\s.\-]")
_SIXTEEN_DIGITS = re.compile(r"^\d{16}$")


@dataclass(frozen=True)
class ValidRequest:
    """A request that passed every check, with the catalogue entries it names."""

    office: Office
    service: ServiceStandard
    variant: str | None
    channel: Channel
    applicant: Applicant
    on_behalf_of: Applicant | None
    received_at: datetime


def schema_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Field paths and messages only: never echo the input (it may be personal data)."""
    return [
        {"loc": [str(p) for p in e["loc"]], "type": e["type"], "msg": e["msg"]}
        for e in exc.errors(include_url=False)
    ]


def parse_request(raw: bytes) -> RegisterRequest:
    """The body as a command, or `malformed_json` / `invalid_request`."""
    try:
        return RegisterRequest.model_validate_json(raw)
    except ValidationError as exc:
        errors = schema_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            raise Refused(
                "malformed_json",
                "The body is not valid JSON.",
                status=400,
                details={"errors": errors},
            ) from None
        raise Refused.invalid(
            "invalid_request", "The request does not match the schema.", {"errors": errors}
        ) from None


def reporter_flags(raw: bytes) -> dict[str, bool]:
    """`anonymous` / `confidential` as the body states them, read even from a body the
    schema refuses: a refused request's raw message is guarded like an accepted one's."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: data[k] is True for k in ("anonymous", "confidential") if k in data}


def resolve_office(cmd: RegisterRequest, catalogue: Catalogue) -> Office:
    try:
        return catalogue.office(cmd.office)
    except UnknownEntry:
        raise Refused.invalid(
            "unknown_office",
            f"There is no office {cmd.office!r} in the catalogue.",
            {"field": "office", "known": sorted(catalogue.offices)},
        ) from None


def normalise_number(value: str | None) -> str | None:
    """'3508 0141 0190 0001' and '3508.0141.0190.0001' are the same NIK."""
    if value is None:
        return None
    cleaned = _SEPARATORS.sub("", value)
    return cleaned or None


def _number_refused(code: str, what: str, path: str, value: str) -> Refused:
    """A 16-digit number that is not: says whether its length or its characters are wrong
    (never the value itself: personal data)."""
    details: dict[str, object] = {"field": path, "length": len(value)}
    if len(value) == 16:
        details["not_digits"] = sum(not c.isdigit() for c in value)
        return Refused.invalid(
            code, f"{what} is 16 digits 0-9; this one has other characters.", details
        )
    return Refused.invalid(
        code, f"{what} has exactly 16 digits (this one has {len(value)}).", details
    )


def _person(person: ApplicantIn, field: str) -> Applicant:
    nik = normalise_number(person.nik)
    if nik is not None and not _SIXTEEN_DIGITS.match(nik):
        raise _number_refused("nik_invalid", "A NIK", f"{field}.nik", nik)
    kk = normalise_number(person.kk_number)
    if kk is not None and not _SIXTEEN_DIGITS.match(kk):
        raise _number_refused("kk_number_invalid", "A KK number", f"{field}.kk_number", kk)
    kks = normalise_number(person.kks_number)
    if kks is not None and not _SIXTEEN_DIGITS.match(kks):
        raise _number_refused("kks_number_invalid", "A KKS card number", f"{field}.kks_number", kks)
    try:
        return Applicant(
            name=person.name or None,
            nik=nik,
            kk_number=kk,
            kks_number=kks,
            phone=person.phone or None,
            email=person.email or None,
            address=person.address or None,
            handle=person.handle or None,
        )
    except ValidationError as exc:
        raise Refused.invalid(
            "invalid_request",
            "The request does not match the schema.",
            {"errors": [{**e, "loc": [field, *e["loc"]]} for e in schema_errors(exc)]},
        ) from None


def _channel(cmd: RegisterRequest, office: Office, service: ServiceStandard) -> Channel:
    try:
        channel = Channel(cmd.channel)
    except ValueError:
        raise Refused.invalid(
            "unknown_channel",
            f"{cmd.channel!r} is not a channel.",
            {"field": "channel", "known": [c.value for c in Channel]},
        ) from None
    # A service is requested through its own channels; complaints about it may also come
    # through the complaint channels its standard (or the office) publishes.
    offered = set(service.channels) | {c.channel for c in office.complaint_channels_for(service.id)}
    if channel not in offered:
        raise Refused.invalid(
            "channel_not_offered",
            f"{office.id}/{service.id} is not offered through {channel.value}.",
            {"field": "channel", "offered": sorted(c.value for c in offered)},
        )
    return channel


def _variant(cmd: RegisterRequest, service: ServiceStandard) -> str | None:
    if cmd.variant:
        try:
            return service.variant(cmd.variant).id
        except UnknownEntry:
            raise Refused.invalid(
                "unknown_variant",
                f"{service.id} has no variant {cmd.variant!r}.",
                {"field": "variant", "known": sorted(service.variants)},
            ) from None
    if len(service.variants) == 1:
        return next(iter(service.variants))
    found = service.classify(cmd.description)
    return found.id if found is not None else None


def validate_request(cmd: RegisterRequest, office: Office, *, now: datetime) -> ValidRequest:
    """Check a request against the office's published standards; raise Refused."""
    try:
        service = office.service(cmd.service)
    except UnknownEntry:
        raise Refused.invalid(
            "unknown_service",
            f"{office.id} publishes no service {cmd.service!r}.",
            {"field": "service", "known": sorted(office.services)},
        ) from None
    variant = _variant(cmd, service)
    channel = _channel(cmd, office, service)
    applicant = _person(cmd.applicant, "applicant")
    on_behalf_of = _person(cmd.on_behalf_of, "on_behalf_of") if cmd.on_behalf_of else None
    if not cmd.anonymous and cmd.applicant.is_empty():
        raise Refused.invalid(
            "applicant_missing",
            "Give the applicant's name, NIK, KK number, phone or e-mail, "
            "or mark the request anonymous.",
            {"field": "applicant"},
        )
    received_at = cmd.received_at or now
    if received_at > now + CLOCK_SKEW:
        raise Refused.invalid(
            "received_at_in_future",
            "received_at lies in the future.",
            {"field": "received_at"},
        )
    return ValidRequest(
        office=office,
        service=service,
        variant=variant,
        channel=channel,
        applicant=applicant,
        on_behalf_of=on_behalf_of,
        received_at=received_at,
    )


def identifiers(
    applicant: Applicant, channel: Channel, handle: str | None
) -> list[tuple[str, str]]:
    """What makes this person recognisable across channels (normalised)."""
    found: list[tuple[str, str]] = []
    if applicant.nik:
        found.append(("nik", applicant.nik))
    phone = normalise_phone(applicant.phone)
    if phone:
        found.append(("phone", phone))
    if applicant.email:
        found.append(("email", applicant.email.strip().lower()))
    handle = handle or applicant.handle
    if handle and channel in (Channel.FACEBOOK, Channel.INSTAGRAM, Channel.TWITTER):
        found.append((channel.value, handle))
    return found


def normalise_phone(phone: str | None) -> str | None:
    """E.164 for an Indonesian number ('0812-...', '62812...', '+62 812...' alike)."""
    if not phone:
        return None
    return normalize_phone(phone) or normalise_number(phone)


def register(
    req: ValidRequest,
    cmd: RegisterRequest,
    *,
    case_id: UUID,
    ticket_number: str,
    citizen_id: UUID | None = None,
    check_code_sealed: str | None = None,
) -> ComplaintRegistered:
    """The fact that the request is now a case.

    An anonymous report carries no identity at all, not even to staff: whatever the
    channel let through stays only in the raw inbound message, which staff cannot read.
    """
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=ticket_number,
        office=req.office.id,
        service=req.service.id,
        variant=req.variant,
        channel=req.channel,
        external_id=cmd.external_id,
        applicant=Applicant() if cmd.anonymous else req.applicant,
        on_behalf_of=None if cmd.anonymous else req.on_behalf_of,
        citizen_id=None if cmd.anonymous else citizen_id,
        description=cmd.description,
        documents_declared=tuple(cmd.documents_declared),
        received_at=req.received_at,
        anonymous=cmd.anonymous,
        confidential=cmd.confidential,
        check_code_sealed=check_code_sealed,
    )
