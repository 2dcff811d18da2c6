"""E-mail over SMTP (aiosmtplib), from the office's mailbox in the catalogue.

Each message is `multipart/alternative` (plain text, and the same words as HTML), inside
`multipart/mixed` with the signed letter's PDF when the message is about one. It answers
the citizen's own e-mail: `In-Reply-To` and `References` carry their Message-ID, so it
lands in the same thread. `Auto-Submitted: auto-replied` (RFC 3834) keeps auto-responders
from answering it.

Idempotency: the Message-ID is `<notification id@office mail domain>`, the same on every
attempt. SMTP has no idempotency key; the Message-ID is what mail stores deduplicate on
(Gmail, Dovecot's duplicate suppression): a message sent twice after a crash arrives as
two SMTP transactions with one Message-ID.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol
from uuid import UUID

import aiosmtplib

from services.notifications.config import EmailAccount
from services.notifications.domain.outgoing import OutgoingMessage, SendResult
from shared.logging import get_logger

log = get_logger(__name__)

SUBJECTS = {
    "complaint_registered": "Permohonan Anda telah kami terima",
    "dtks_not_found": "Hasil pemeriksaan DTKS",
    "letter_signed": "Surat Anda sudah ditandatangani",
    "letter_online": "Surat Anda dapat diunduh",
    "letter_posted": "Surat Anda telah dikirim melalui pos",
    "referral_made": "Permohonan Anda telah dirujuk",
    "case_resolved": "Permohonan Anda telah selesai",
    "domicile_refused": "Permohonan Anda tidak dapat kami layani",
    "case_forwarded": "Permohonan Anda kami teruskan",
    "case_merged": "Laporan Anda digabungkan",
    "duplicate_merged": "Laporan Anda digabungkan",
    # to staff (their notices, `domain/staff_notices.py`)
    "case_assigned": "Perkara baru untuk Anda",
    "letter_waiting": "Surat menunggu tindakan Anda",
    "letter_returned": "Surat dikembalikan kepada Anda",
    "deadline_warning": "Peringatan batas waktu perkara",
    "deadline_breach": "Batas waktu perkara terlampaui",
}
# A complaint (workflow complaint_answer) is "Pengaduan Anda", as its message says
# (`domain/templates.py`, `service_kind`).
COMPLAINT_SUBJECTS = {
    "complaint_registered": "Pengaduan Anda telah kami terima",
    "referral_made": "Pengaduan Anda telah dirujuk",
    "case_resolved": "Pengaduan Anda telah selesai",
    "case_forwarded": "Pengaduan Anda kami teruskan",
}
_URL = re.compile(r"https?://[^\s<>\"]+")


class LetterFile(Protocol):
    async def pdf(self, office: str, letter_id: UUID) -> tuple[str, bytes] | None:
        """(file name, bytes) of the signed letter; None if it has none (it is not
        attached; the text has the download link). Raises on trouble that may pass."""
        ...


def message_id(notification_id: UUID, from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "slrt.invalid"
    return f"<{notification_id}@{domain}>"


def _bracketed(ref: str) -> str:
    ref = ref.strip()
    return ref if ref.startswith("<") else f"<{ref}>"


def as_html(body: str) -> str:
    """The plain text as simple HTML: paragraphs, line breaks, links."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.strip()):
        escaped = html.escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8"></head>\n<body>\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def compose(
    message: OutgoingMessage,
    *,
    from_address: str,
    from_name: str,
    attachment: tuple[str, bytes] | None = None,
    now: datetime | None = None,
    complaint: bool = False,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((from_name, from_address))
    mail["To"] = message.address
    subjects = {**SUBJECTS, **COMPLAINT_SUBJECTS} if complaint else SUBJECTS
    subject = subjects.get(message.template, "Pemberitahuan layanan")
    mail["Subject"] = f"[{message.ticket_number}] {subject}" if message.ticket_number else subject
    mail["Date"] = format_datetime(now or datetime.now(UTC))
    mail["Message-ID"] = message_id(message.notification_id, from_address)
    if message.thread_ref:
        ref = _bracketed(message.thread_ref)
        mail["In-Reply-To"] = ref
        mail["References"] = ref
    mail["Auto-Submitted"] = "auto-replied"
    mail["Content-Language"] = "id"
    mail.set_content(message.body, charset="utf-8")
    mail.add_alternative(as_html(message.body), subtype="html", charset="utf-8")
    if attachment is not None:
        name, content = attachment
        mail.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    return mail


class SmtpSender:
    def __init__(
        self,
        account: EmailAccount,
        *,
        from_address: str,
        from_name: str,
        letters: LetterFile | None = None,
        timeout: float = 15.0,
        complaint_services: frozenset[str] = frozenset(),
    ) -> None:
        self.account = account
        self.from_address = from_address
        self.from_name = from_name
        self.letters = letters
        self.timeout = timeout
        self.complaint_services = complaint_services  # the office's complaint services

    async def _attachment(self, message: OutgoingMessage) -> tuple[str, bytes] | None:
        if message.letter_id is None or self.letters is None:
            return None
        return await self.letters.pdf(message.office, message.letter_id)

    async def send(self, message: OutgoingMessage) -> SendResult:
        try:
            attachment = await self._attachment(message)
        except Exception as exc:  # documents unreachable: the letter is part of the message
            return SendResult(ok=False, error=f"letter PDF not fetched: {exc!r}", transient=True)
        mail = compose(
            message,
            from_address=self.from_address,
            from_name=self.from_name,
            attachment=attachment,
            complaint=message.service in self.complaint_services,
        )
        account = self.account
        try:
            await aiosmtplib.send(
                mail,
                sender=self.from_address,
                recipients=[message.address],
                hostname=account.host,
                port=account.port,
                username=account.username,
                password=account.password.get_secret_value() if account.password else None,
                use_tls=account.use_tls,
                start_tls=True if account.starttls else None,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [e.code for e in exc.recipients]
            reason = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)
            return SendResult(
                ok=False, error=f"SMTP {reason}", transient=all(400 <= c < 500 for c in codes)
            )
        except aiosmtplib.SMTPResponseException as exc:
            return SendResult(
                ok=False, error=f"SMTP {exc.code} {exc.message}", transient=exc.code < 500
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult(ok=False, error=f"SMTP unreachable: {exc!r}", transient=True)
        return SendResult(ok=True, provider_message_id=str(mail["Message-ID"]), how="smtp")
