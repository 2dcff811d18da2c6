"""Event handlers: every cross-service event goes into the case projections; a signed
letter also resolves the case, the letter handed over or sent closes it, a reply resumes
a case waiting for the citizen, and a confirmed duplicate is merged into the open case.

Each handler runs inside the consumer's transaction, which also records the event id:
a redelivery changes nothing. The four policies get the event as its own class and a
unit of work joined to that transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.casework.adapters.case_projection import PROJECTED_EVENT_TYPES, REGISTER_EVENTS
from services.casework.service_layer.context import Casework
from services.casework.service_layer.when_duplicate_confirmed_merge_cases import (
    when_duplicate_confirmed_merge_cases,
)
from services.casework.service_layer.when_letter_issued_close_case import (
    when_letter_issued_close_case,
)
from services.casework.service_layer.when_letter_signed_resolve_case import (
    when_letter_signed_resolve_case,
)
from services.casework.service_layer.when_reply_received_resume_case import (
    when_reply_received_resume_case,
)
from shared.consumer import BatchHandler, Handler, handles
from shared.contracts.base import EventEnvelope
from shared.contracts.documents_events import LetterIssued
from shared.contracts.events import LetterSigned
from shared.contracts.intake_events import DuplicateConfirmed, ReplyReceived

SERVICE = "casework"


def handlers(casework: Casework) -> dict[str, Handler]:
    """The handler map of the casework consumer."""
    projection = casework.projection

    async def project(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
        await projection.project(conn, envelope)

    async def on_letter_signed(
        conn: asyncpg.Connection, signed: LetterSigned, envelope: EventEnvelope
    ) -> None:
        await projection.project(conn, envelope)
        await when_letter_signed_resolve_case(casework.joined_uow(conn), signed, envelope)

    async def on_letter_issued(
        conn: asyncpg.Connection, issued: LetterIssued, envelope: EventEnvelope
    ) -> None:
        await projection.project(conn, envelope)
        await when_letter_issued_close_case(
            casework.joined_uow(conn), casework.standards, issued, envelope
        )

    async def on_reply_received(
        conn: asyncpg.Connection, reply: ReplyReceived, envelope: EventEnvelope
    ) -> None:
        await projection.project(conn, envelope)
        await when_reply_received_resume_case(casework.joined_uow(conn), reply, envelope)

    async def on_duplicate_confirmed(
        conn: asyncpg.Connection, confirmed: DuplicateConfirmed, envelope: EventEnvelope
    ) -> None:
        await projection.project(conn, envelope)
        await when_duplicate_confirmed_merge_cases(casework.joined_uow(conn), confirmed, envelope)

    # Built from the event registry: a new cross-service event is projected without a
    # change here (its timeline line is its type name until `domain/timeline.py` learns it).
    return {
        **dict.fromkeys(PROJECTED_EVENT_TYPES, project),
        **handles(LetterSigned, on_letter_signed),
        **handles(LetterIssued, on_letter_issued),
        **handles(ReplyReceived, on_reply_received),
        **handles(DuplicateConfirmed, on_duplicate_confirmed),
    }


# Events with a policy besides their projection (above), and the reception's registers.
_ONE_AT_A_TIME = frozenset(
    {
        LetterSigned.event_type,
        LetterIssued.event_type,
        ReplyReceived.event_type,
        DuplicateConfirmed.event_type,
        *REGISTER_EVENTS,
    }
)


def batch_handler(casework: Casework) -> BatchHandler:
    """A run of events that are only projected is projected at once (its writes batched);
    a batch holding any other event goes event by event through `handlers`."""
    projection = casework.projection

    async def project_many(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        await projection.project_many(conn, envelopes)

    return BatchHandler(
        event_types=frozenset(PROJECTED_EVENT_TYPES) - _ONE_AT_A_TIME, apply=project_many
    )
