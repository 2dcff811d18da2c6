"""A valid request on its way to becoming a case: what is known before the database is
asked (`NewCase`), what the database answers (`Identification`: the citizen, a likely
duplicate, the ticket number), and the case ready to be written (`Identified`: its
events and metadata).

Every way in (the staff API, the group commit, a channel message, a classified triage
item) registers through these, so a case is the same case whichever door it came in by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from services.intake.domain.commands import RegisterRequest
from services.intake.domain.duplicates import (
    DUPLICATE_WINDOW,
    LikelyDuplicate,
    OpenCase,
    Request,
    likely_duplicate,
)
from services.intake.domain.registration import (
    ValidRequest,
    identifiers,
    normalise_phone,
    register,
)
from services.intake.domain.tickets import format_ticket, ticket_prefix
from shared.check_codes import new_check_code
from shared.contracts.base import Event, EventMetadata
from shared.contracts.intake_events import DuplicateSuspected
from shared.contracts.streams import complaint_stream
from shared.localtime import local_date
from shared.refusal import Refused


def refuse_if_other_office(existing_office: str, valid: ValidRequest, external_id: Any) -> None:
    """A channel id is one office's: another office sending it is refused, not merged."""
    if existing_office != valid.office.id:
        raise Refused.conflict(
            "external_id_taken",
            f"{valid.channel.value} id {external_id!r} belongs to a case of another office.",
            {"field": "external_id"},
        )


def resent_decision(case_id: UUID) -> dict[str, Any]:
    """What is recorded on an inbound message that repeats one already registered."""
    return {
        "status": "accepted",
        "reason": "duplicate",
        "message": "Sent before: the case registered then is returned.",
        "case_id": case_id,
    }


@dataclass(frozen=True)
class ToIdentify:
    """A registration about to be made, as the database's `intake.identify` takes it."""

    identifiers: list[tuple[str, str]]
    new_id: UUID
    office: str
    service: str
    nik: str | None
    phone: str | None
    since: datetime
    prefix: str
    year: int


@dataclass(frozen=True)
class Identification:
    """The database's answer: the citizen, a likely duplicate, the ticket's number."""

    citizen_id: UUID | None  # None: nothing identifies the person (or anonymous)
    duplicate: LikelyDuplicate | None
    ticket: int


@dataclass(frozen=True)
class NewCase:
    """A request about to become a case: what is known before the database is asked."""

    valid: ValidRequest
    cmd: RegisterRequest
    case_id: UUID
    identifiers: list[tuple[str, str]]
    nik: str | None
    phone: str | None
    prefix: str
    year: int
    # The citizen's check code (shared.check_codes): in memory only, until it is hashed
    # into intake's table, sealed into the event and printed on the receipt.
    check_code: str = ""

    @classmethod
    def prepare(cls, valid: ValidRequest, cmd: RegisterRequest, handle: str | None) -> NewCase:
        anonymous = cmd.anonymous
        return cls(
            valid=valid,
            cmd=cmd,
            case_id=uuid4(),
            identifiers=[] if anonymous else identifiers(valid.applicant, valid.channel, handle),
            nik=None if anonymous else valid.applicant.nik,
            phone=None if anonymous else normalise_phone(valid.applicant.phone),
            prefix=ticket_prefix(valid.office),
            year=local_date(valid.received_at, valid.office.region_code).year,
            check_code=new_check_code(),
        )

    def to_identify(self) -> ToIdentify:
        return ToIdentify(
            identifiers=self.identifiers,
            new_id=uuid4(),
            office=self.valid.office.id,
            service=self.valid.service.id,
            nik=self.nik,
            phone=self.phone,
            since=self.valid.received_at - DUPLICATE_WINDOW,
            prefix=self.prefix,
            year=self.year,
        )

    def as_request(self, citizen_id: UUID | None) -> Request:
        """This request as the duplicate rule sees it."""
        return Request(
            office=self.valid.office.id,
            service=self.valid.service.id,
            received_at=self.valid.received_at,
            nik=self.nik,
            phone=self.phone,
            citizen_id=citizen_id,
        )

    def identified(
        self, known: Identification, earlier_in_batch: Sequence[Identified] = ()
    ) -> Identified:
        """The case with its citizen, ticket and likely duplicate. The database sees the
        cases already written; the cases of the same batch, not written yet, are judged
        here by the same rule (`domain.duplicates`)."""
        duplicate = known.duplicate
        if duplicate is None and earlier_in_batch:
            duplicate = likely_duplicate(
                self.as_request(known.citizen_id),
                (OpenCase(e.new.case_id, e.new.as_request(e.citizen_id)) for e in earlier_in_batch),
            )
        return Identified(self, known.citizen_id, duplicate, known.ticket)


@dataclass(frozen=True)
class Identified:
    """A new case with its citizen, ticket and likely duplicate: ready to be written."""

    new: NewCase
    citizen_id: UUID | None
    duplicate: LikelyDuplicate | None
    ticket: int

    @property
    def ticket_number(self) -> str:
        return format_ticket(self.new.prefix, self.new.year, self.ticket)

    @property
    def stream_id(self) -> str:
        return complaint_stream(self.new.case_id)

    def events(
        self, extra: tuple[Event, ...] = (), *, check_code_sealed: str | None = None
    ) -> list[Event]:
        new = self.new
        events: list[Event] = [
            register(
                new.valid,
                new.cmd,
                case_id=new.case_id,
                ticket_number=self.ticket_number,
                citizen_id=self.citizen_id,
                check_code_sealed=check_code_sealed,
            ),
            *extra,
        ]
        if self.duplicate is not None:
            events.append(
                DuplicateSuspected(
                    case_id=new.case_id,
                    duplicate_of=self.duplicate.case_id,
                    reason=self.duplicate.reason,
                    window_days=DUPLICATE_WINDOW.days,
                )
            )
        return events

    def meta(self, *, actor: str, correlation_id: UUID) -> EventMetadata:
        return EventMetadata(
            case_id=self.new.case_id,
            office=self.new.valid.office.id,
            correlation_id=correlation_id,
            actor=actor,
            channel=self.new.valid.channel,
        )
