"""Use case: staff recheck a registered case with the NIK the channel did not carry.

A WhatsApp or Instagram message carries no NIK; staff learn it (read off the KTP) and ask
for the registry and domicile to be checked again, with that identity. The registration
itself is read from intake's stream in the event store (the log every service shares);
the new verdicts are appended after the earlier ones, which stay in the history.
"""

from __future__ import annotations

from uuid import UUID

from services.eligibility.domain.decision import Decision
from services.eligibility.service_layer.when_complaint_registered_check_eligibility import (
    NewUnitOfWork,
    check_eligibility,
)
from shared.catalogue import Catalogue
from shared.contracts.base import EventEnvelope
from shared.contracts.events import ComplaintRegistered
from shared.contracts.streams import complaint_stream
from shared.refusal import Refused


async def recheck_case(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    case_id: UUID,
    *,
    nik: str,
    kk_number: str | None,
    staff_office: str,
    actor: str,
) -> Decision | None:
    async with new_uow() as uow:
        found = _registration(await uow.events.read_stream(complaint_stream(case_id)))
    if found is None:
        raise Refused.not_found("case_not_found", f"No registered case {case_id}.")
    envelope, registered = found
    if registered.office != staff_office:
        raise Refused.forbidden("wrong_office", "The case is another office's.")
    if registered.anonymous:
        raise Refused.conflict("anonymous_report", "An anonymous report has no identity.")
    person = registered.on_behalf_of or registered.applicant
    corrected = person.model_copy(
        update={"nik": nik, **({"kk_number": kk_number} if kk_number else {})}
    )
    event = registered.model_copy(
        update=(
            {"on_behalf_of": corrected}
            if registered.on_behalf_of is not None
            else {"applicant": corrected}
        )
    )
    return await check_eligibility(new_uow, catalogue, event, envelope, actor=actor, attempts=3)


def _registration(
    stream: list[EventEnvelope],
) -> tuple[EventEnvelope, ComplaintRegistered] | None:
    """The case's registration in intake's stream, typed."""
    for envelope in stream:
        if envelope.event_type == ComplaintRegistered.event_type:
            registered = envelope.payload()
            if isinstance(registered, ComplaintRegistered):
                return envelope, registered
    return None
