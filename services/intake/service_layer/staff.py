"""Staff commands on what intake holds: classify a triaged message, confirm or dismiss a
likely duplicate, and the walk-in desk (queue number, guest book, ID card at reception).

Each command loads what it acts on under a row lock, decides, and appends its event with
the stream's expected version: two officers acting at once get one success and one
`already_decided` refusal, never two facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.commands import ApplicantIn, RegisterRequest
from services.intake.domain.inbound import Classified, InboundPayload, classify
from services.intake.domain.registration import RequestRefused, resolve_office, validate_request
from services.intake.domain.tickets import office_local_date, office_timezone
from services.intake.service_layer.register_request import Registered, register_valid
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import (
    DuplicateConfirmed,
    DuplicateDismissed,
    GuestBookSigned,
    IdCardDeposited,
    IdCardReturned,
    RequestClassified,
)
from shared.contracts.vocab import Channel
from shared.eventstore.store import EventStore, stream_version


class CommandRefused(Exception):
    """A staff command that cannot be carried out; `status` is the HTTP status to give."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def _meta(staff: StaffIdentity, office: str, correlation_id: UUID, **kw: Any) -> EventMetadata:
    return EventMetadata(office=office, correlation_id=correlation_id, actor=staff.actor, **kw)


# ---- triage ------------------------------------------------------------------------------


async def classify_triaged(
    pool: asyncpg.Pool,
    store: EventStore,
    catalogue: Catalogue,
    staff: StaffIdentity,
    inbound_id: UUID,
    *,
    office: str,
    service: str,
    variant: str | None,
    applicant: ApplicantIn | None,
    correlation_id: UUID,
) -> Registered:
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT t.office AS queued_office, t.classified_at, m.channel, m.external_id,
                      m.parsed, m.received_at
               FROM intake.triage t JOIN intake.inbound_messages m ON m.id = t.inbound_id
               WHERE t.inbound_id = $1 FOR UPDATE OF t""",
            inbound_id,
        )
        if row is None:
            raise CommandRefused(404, "triage_not_found", f"No triaged message {inbound_id}.")
        if row["classified_at"] is not None:
            raise CommandRefused(409, "already_classified", "This message was classified.")
        queued = row["queued_office"]
        if queued is not None and queued != staff.office:
            raise CommandRefused(403, "wrong_office", "The message is another office's.")
        if office != staff.office:
            raise CommandRefused(403, "wrong_office", "Classify into your own office only.")
        payload = InboundPayload.model_validate(row["parsed"])
        channel = Channel(row["channel"])
        base = payload.model_copy(update={"office": office, "service": service, "variant": variant})
        outcome = classify(base, channel, catalogue, external_id=row["external_id"])
        if not isinstance(outcome, Classified):
            raise CommandRefused(422, "unknown_service", f"{office} has no service {service!r}.")
        cmd: RegisterRequest = outcome.command
        if applicant is not None:
            cmd = cmd.model_copy(update={"applicant": applicant})
        try:
            found = resolve_office(cmd, catalogue)
            valid = validate_request(cmd, found, now=datetime.now(UTC))
            valid = type(valid)(**{**valid.__dict__, "received_at": row["received_at"]})
            result = await register_valid(
                conn,
                store,
                valid,
                cmd,
                inbound_id=inbound_id,
                actor=staff.actor,
                correlation_id=correlation_id,
                claims={"channel": channel.value, "office": office, "external_id": cmd.external_id},
                handle=payload.sender.handle,
                message_ref=payload.message_ref,
            )
        except RequestRefused as refusal:
            raise CommandRefused(422, refusal.code, refusal.message, refusal.details) from None
        stream = f"inbound-{inbound_id}"
        await store.append(
            conn,
            stream,
            await stream_version(conn, stream),
            [
                RequestClassified(
                    inbound_id=inbound_id,
                    case_id=result.case_id,
                    office=office,
                    service=service,
                    variant=valid.variant,
                    classified_by=staff.actor,
                )
            ],
            _meta(staff, office, correlation_id, case_id=result.case_id, channel=channel),
        )
        await conn.execute(
            """UPDATE intake.triage SET classified_at = clock_timestamp(), classified_by = $2,
                   case_id = $3, office = $4 WHERE inbound_id = $1""",
            inbound_id,
            staff.actor,
            result.case_id,
            office,
        )
    return result


# ---- duplicates --------------------------------------------------------------------------


async def decide_duplicate(
    pool: asyncpg.Pool,
    store: EventStore,
    staff: StaffIdentity,
    case_id: UUID,
    *,
    decision: Literal["confirm", "dismiss"],
    reason: str,
    correlation_id: UUID,
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT duplicate_of, office, status FROM intake.duplicates
               WHERE case_id = $1 ORDER BY suspected_at DESC LIMIT 1 FOR UPDATE""",
            case_id,
        )
        if row is None:
            raise CommandRefused(404, "no_duplicate", "No likely duplicate is linked to this case.")
        if row["office"] != staff.office:
            raise CommandRefused(403, "wrong_office", "The case is another office's.")
        if row["status"] != "suspected":
            raise CommandRefused(
                409,
                "already_decided",
                f"The link was already {row['status']}.",
                {"status": row["status"]},
            )
        duplicate_of: UUID = row["duplicate_of"]
        event = (
            DuplicateConfirmed(case_id=case_id, duplicate_of=duplicate_of, confirmed_by=staff.actor)
            if decision == "confirm"
            else DuplicateDismissed(
                case_id=case_id, duplicate_of=duplicate_of, dismissed_by=staff.actor, reason=reason
            )
        )
        stream = f"complaint-{case_id}"
        await store.append(
            conn,
            stream,
            await stream_version(conn, stream),
            [event],
            _meta(staff, row["office"], correlation_id, case_id=case_id),
        )
        status = "confirmed" if decision == "confirm" else "dismissed"
        await conn.execute(
            """UPDATE intake.duplicates SET status = $3, decided_by = $4,
                   decided_at = clock_timestamp() WHERE case_id = $1 AND duplicate_of = $2""",
            case_id,
            duplicate_of,
            status,
            staff.actor,
        )
        if decision == "confirm":
            # The merged case is closed here: it no longer attracts duplicates itself.
            await conn.execute(
                "UPDATE intake.registrations SET closed_at = clock_timestamp() WHERE case_id = $1",
                case_id,
            )
    return {"case_id": str(case_id), "duplicate_of": str(duplicate_of), "status": status}


# ---- walk-in desk ------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    visit_id: UUID
    queue_number: str
    visit_date: date


async def sign_guest_book(
    pool: asyncpg.Pool,
    store: EventStore,
    catalogue: Catalogue,
    staff: StaffIdentity,
    *,
    name: str,
    phone: str | None,
    nik: str | None,
    purpose: str,
    id_card: Literal["ktp", "sim", "other"] | None,
    correlation_id: UUID,
) -> Visit:
    office = catalogue.office(staff.office)
    now = datetime.now(UTC)
    today = office_local_date(now, office.region_code)
    visit_id = uuid4()
    async with pool.acquire() as conn, conn.transaction():
        n = await conn.fetchval(
            """INSERT INTO intake.queue_counters AS c (office, day, n) VALUES ($1, $2, 1)
               ON CONFLICT (office, day) DO UPDATE SET n = c.n + 1 RETURNING n""",
            office.id,
            today,
        )
        queue_number = f"A-{int(n):03d}"
        await conn.execute(
            """INSERT INTO intake.visits (id, office, visit_date, queue_number, visitor_name,
                   visitor_phone, visitor_nik, purpose, checked_in_by, id_card_kind,
                   id_card_held_by, id_card_left_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                       CASE WHEN $10::text IS NULL THEN NULL ELSE clock_timestamp() END)""",
            visit_id,
            office.id,
            today,
            queue_number,
            name,
            phone,
            nik,
            purpose,
            staff.actor,
            id_card,
            staff.actor if id_card else None,
        )
        events: list[Any] = [
            GuestBookSigned(
                visit_id=visit_id,
                office=office.id,
                visit_date=today,
                queue_number=queue_number,
                purpose=purpose[:500],
                checked_in_by=staff.actor,
            )
        ]
        if id_card:
            events.append(
                IdCardDeposited(
                    visit_id=visit_id, office=office.id, card_kind=id_card, held_by=staff.actor
                )
            )
        await store.append(
            conn,
            f"visit-{visit_id}",
            0,
            events,
            _meta(staff, office.id, correlation_id, channel=Channel.WALK_IN),
        )
    return Visit(visit_id, queue_number, today)


async def return_id_card(
    pool: asyncpg.Pool,
    store: EventStore,
    staff: StaffIdentity,
    visit_id: UUID,
    *,
    correlation_id: UUID,
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT office, case_id, id_card_left_at, id_card_returned_at FROM intake.visits
               WHERE id = $1 FOR UPDATE""",
            visit_id,
        )
        if row is None:
            raise CommandRefused(404, "visit_not_found", f"No visit {visit_id}.")
        if row["office"] != staff.office:
            raise CommandRefused(403, "wrong_office", "The visit is another office's.")
        if row["id_card_left_at"] is None:
            raise CommandRefused(409, "no_id_card", "No ID card was left for this visit.")
        if row["id_card_returned_at"] is not None:
            raise CommandRefused(409, "already_returned", "The ID card was already given back.")
        await conn.execute(
            """UPDATE intake.visits SET id_card_returned_at = clock_timestamp(),
                   id_card_returned_by = $2 WHERE id = $1""",
            visit_id,
            staff.actor,
        )
        stream = f"visit-{visit_id}"
        await store.append(
            conn,
            stream,
            await stream_version(conn, stream),
            [
                IdCardReturned(
                    visit_id=visit_id,
                    case_id=row["case_id"],
                    office=row["office"],
                    returned_by=staff.actor,
                )
            ],
            _meta(staff, row["office"], correlation_id, case_id=row["case_id"]),
        )
    return {"visit_id": str(visit_id), "id_card": "returned"}


def local_today(region_code: str) -> date:
    return datetime.now(office_timezone(region_code)).date()


__all__ = ["CommandRefused", "Registered", "repo"]
