"""The offices' mail server hands e-mail to intake over SMTP (aiosmtpd, in intake's loop).

A recipient that is not an office mailbox from the catalogue is refused at RCPT (550), so
nothing unrelated is accepted. A message is answered 250 only once it is durable (raw
MIME kept, attachments with checksums, `InboundReceived` in the outbox); on any failure
the server answers 451 and the sending server tries again later. A message that is not
readable MIME is answered 554 and kept as rejected (`malformed_email`) with the office its
recipient mailbox belongs to, so that office's front office sees it.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.intake.adapters.channels.base import Delivery, PayloadUnreadable
from services.intake.adapters.channels.email import office_numbers, parse_email
from services.intake.entrypoints.deps import units_of_work
from services.intake.service_layer.receive_inbound import receive_inbound
from services.intake.service_layer.refuse_delivery import refuse_delivery
from shared.catalogue import Catalogue
from shared.contracts.vocab import Channel
from shared.logging import get_logger
from shared.runtime import ServiceRuntime

log = get_logger(__name__)
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


def mailboxes(catalogue: Catalogue) -> dict[str, str]:
    """Office e-mail address (lower case) -> office id, from the catalogue."""
    return {o.email.lower(): o.id for o in catalogue.offices.values() if o.email}


class IntakeMailHandler:
    """The SMTP door; its mailboxes come from the catalogue the bootstrap gives it."""

    def __init__(self, runtime: ServiceRuntime, catalogue: Catalogue) -> None:
        self.runtime = runtime
        self.mailboxes = mailboxes(catalogue)
        self.office_phones = office_numbers(catalogue)  # never taken for a sender's phone

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() not in self.mailboxes:
            return "550 5.1.1 No such office mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def recipient_office(self, rcpt_tos: list[str]) -> str | None:
        """The office of the envelope's recipients. Each was checked at RCPT; when they
        name mailboxes of several offices, the first recipient's office, the same rule
        `parse_email` applies to a readable message, so a refusal lands where the
        message would have."""
        return next(
            (self.mailboxes[a.lower()] for a in rcpt_tos if a.lower() in self.mailboxes), None
        )

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        delivery = Delivery(
            source="smtp",
            body=raw,
            content_type="message/rfc822",
            headers={
                "mail-from": str(envelope.mail_from or "").replace("\x00", "")[:320],
                "rcpt-to": ", ".join(envelope.rcpt_tos)[:2000],
            },
            correlation_id=uuid4(),
        )
        try:
            item = parse_email(
                raw,
                self.mailboxes,
                envelope_recipients=tuple(envelope.rcpt_tos),
                office_phones=self.office_phones,
            )
        except PayloadUnreadable as exc:
            # Kept with the office its recipient mailbox belongs to, as a refused webhook
            # is kept with the office its door's path names.
            await refuse_delivery(
                self.runtime.pool,
                delivery,
                channel=Channel.EMAIL,
                reason=exc.code,
                message=exc.message,
                office=self.recipient_office(envelope.rcpt_tos),
            )
            return "554 5.6.0 Message is not readable MIME"
        try:
            ids = await receive_inbound(units_of_work(self.runtime), delivery, [item])
        except Exception as exc:
            log.error("smtp_store_failed", error=repr(exc))
            return "451 4.3.0 Try again later"
        return f"250 2.0.0 Queued as {ids[0]}"


async def start_smtp(
    runtime: ServiceRuntime, catalogue: Catalogue, host: str, port: int
) -> asyncio.Server:
    handler = IntakeMailHandler(runtime, catalogue)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(
            handler,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="slrt-intake",
        )

    server = await loop.create_server(factory, host=host, port=port)
    log.info("smtp_listening", host=host, port=port)
    return server
