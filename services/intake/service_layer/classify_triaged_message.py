"""Use case: staff say which office, service and variant a message in the triage queue
is; it becomes a case (through `register_valid_request`, as if it had been clear when it
came) and the message's stream records `RequestClassified`.

The queued message is locked while it is classified: two officers classifying it at once
get one case and one `already_classified` refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.commands import ApplicantIn, RegisterRequest
from services.intake.domain.inbound import Classified, InboundPayload, classify
from services.intake.domain.registration import resolve_office, validate_request
from services.intake.service_layer.announce_case_attachments import announce_case_attachments
from services.intake.service_layer.register_valid_request import (
    Registered,
    register_valid_request,
)
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import RequestClassified
from shared.contracts.streams import inbound_stream
from shared.contracts.vocab import Channel
from shared.refusal import Refused


async def classify_triaged_message(
    new_uow: Callable[[], IntakeUnitOfWork],
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
    async with new_uow() as uow:
        queued = await uow.triage.load(inbound_id)
        if queued is None:
            raise Refused.not_found("triage_not_found", f"No triaged message {inbound_id}.")
        if queued.classified:
            raise Refused.conflict("already_classified", "This message was classified.")
        if queued.queued_office is not None and queued.queued_office != staff.office:
            raise Refused.forbidden("wrong_office", "The message is another office's.")
        if office != staff.office:
            raise Refused.forbidden("wrong_office", "Classify into your own office only.")
        if queued.parsed is None:
            raise Refused(
                "personal_data_erased",
                "The message's personal data was erased (UU 27/2022).",
                status=410,
            )
        payload = InboundPayload.model_validate(queued.parsed)
        channel = Channel(queued.channel)
        base = payload.model_copy(update={"office": office, "service": service, "variant": variant})
        outcome = classify(base, channel, catalogue, external_id=queued.external_id)
        if not isinstance(outcome, Classified):
            raise Refused.invalid("unknown_service", f"{office} has no service {service!r}.")
        cmd: RegisterRequest = outcome.command
        if applicant is not None:
            cmd = cmd.model_copy(update={"applicant": applicant})
        found = resolve_office(cmd, catalogue)
        valid = validate_request(cmd, found, now=datetime.now(UTC))
        # The case was received when the message was, not when it was classified.
        valid = replace(valid, received_at=queued.received_at)
        result = await register_valid_request(
            uow,
            valid,
            cmd,
            inbound_id=inbound_id,
            actor=staff.actor,
            correlation_id=correlation_id,
            claims={"channel": channel.value, "office": office, "external_id": cmd.external_id},
            handle=payload.sender.handle,
            message_ref=payload.message_ref,
        )
        stream = inbound_stream(inbound_id)
        await uow.events.append(
            stream,
            await uow.events.version(stream),
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
            EventMetadata(
                case_id=result.case_id,
                office=office,
                correlation_id=correlation_id,
                actor=staff.actor,
                channel=channel,
            ),
        )
        await uow.triage.classified(
            inbound_id, by=staff.actor, case_id=result.case_id, office=office
        )
        if not result.duplicate:  # the message's files become documents of its case
            await announce_case_attachments(
                uow,
                inbound_id=inbound_id,
                case_id=result.case_id,
                office=office,
                correlation_id=correlation_id,
                actor=staff.actor,
            )
        await uow.commit()
    return result
