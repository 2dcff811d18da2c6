"""The senders of each office's channels, built from the channel accounts in the settings
(`config.NotificationsSettings.channels()`), and the signed letter's PDF from documents.

An office's own account wins over the `"*"` one, channel by channel. A channel with no
account has no sender: the worker parks its messages as `channel_not_configured`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import httpx

from services.notifications.adapters.email_sender import SmtpSender
from services.notifications.adapters.http_senders import (
    LaporSender,
    MessengerSender,
    WhatsAppSender,
    XSender,
)
from services.notifications.adapters.senders import Sender
from services.notifications.config import NotificationsSettings, OfficeChannels
from services.notifications.domain.templates import service_kind
from shared.catalogue import Catalogue
from shared.contracts.vocab import Channel
from shared.internal_api import internal_headers
from shared.settings import Settings

T = TypeVar("T")


class DocumentsLetterFiles:
    """The signed letter's PDF from documents' internal API
    (`GET /v1/internal/letters/{id}.pdf`, with the services' shared key: the services hold
    only the staff tokens' public key and cannot mint one); never through the citizen's
    one-time link (that would use it up)."""

    def __init__(
        self, client: httpx.AsyncClient, base_url: str, settings: Settings | None = None
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.settings = settings

    async def pdf(self, office: str, letter_id: UUID) -> tuple[str, bytes] | None:
        response = await self.client.get(
            f"{self.base_url}/v1/internal/letters/{letter_id}.pdf", headers=internal_headers()
        )
        if response.status_code >= 500:
            response.raise_for_status()  # may pass: the worker tries again
        if response.status_code != 200:
            return None  # no PDF (not signed, not found): the link in the text stands
        name = response.headers.get("content-disposition", "").partition("filename=")[2]
        return (name.strip('"') or f"surat-{letter_id}.pdf"), response.content


class ChannelSenders:
    """`SenderRegistry` over the settings' channel accounts."""

    def __init__(
        self,
        own: NotificationsSettings,
        catalogue: Catalogue,
        *,
        settings: Settings | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.own = own
        self.catalogue = catalogue
        self.accounts = own.channels()
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(own.slrt_delivery_timeout_seconds)
        )
        self.letters = DocumentsLetterFiles(
            self.client, own.slrt_documents_url or own.slrt_public_base_url, settings
        )
        self._senders: dict[tuple[str, Channel], Sender | None] = {}

    def _pick(self, office: str, get: Callable[[OfficeChannels], T | None]) -> T | None:
        """The office's own account for a channel, else the one for every office."""
        for key in (office, "*"):
            found = self.accounts.get(key)
            if found is not None and (account := get(found)) is not None:
                return account
        return None

    def _build(self, office: str, channel: Channel) -> Sender | None:
        own, client = self.own, self.client
        match channel:
            case Channel.EMAIL:
                mail = self._pick(office, lambda c: c.email)
                entry = self.catalogue.offices.get(office)
                from_address = (mail.from_address if mail else None) or (
                    entry.email if entry else None
                )
                if mail is None or not from_address:
                    return None  # no relay, or no mailbox to send from
                return SmtpSender(
                    mail,
                    from_address=from_address,
                    from_name=entry.name if entry else "Dinas Sosial",
                    letters=self.letters,
                    timeout=own.slrt_delivery_timeout_seconds,
                    complaint_services=frozenset(
                        s.id
                        for s in (entry.services.values() if entry else ())
                        if service_kind(s.workflow) == "complaint"
                    ),
                )
            case Channel.WHATSAPP:
                wa = self._pick(office, lambda c: c.whatsapp)
                return (
                    WhatsAppSender(wa, client=client, base_url=own.slrt_whatsapp_api_url)
                    if wa
                    else None
                )
            case Channel.FACEBOOK | Channel.INSTAGRAM:
                page = self._pick(
                    office, lambda c: c.facebook if channel == Channel.FACEBOOK else c.instagram
                )
                return (
                    MessengerSender(page, client=client, base_url=own.slrt_messenger_api_url)
                    if page
                    else None
                )
            case Channel.TWITTER:
                x = self._pick(office, lambda c: c.twitter)
                return XSender(x, client=client, base_url=own.slrt_x_api_url) if x else None
            case Channel.SP4N_LAPOR:
                lapor = self._pick(office, lambda c: c.sp4n_lapor)
                return (
                    LaporSender(lapor, client=client, base_url=own.slrt_lapor_api_url)
                    if lapor
                    else None
                )
            case _:
                return None

    def sender_for(self, office: str, channel: Channel) -> Sender | None:
        key = (office, channel)
        if key not in self._senders:
            self._senders[key] = self._build(office, channel)
        return self._senders[key]

    def live(self) -> dict[str, list[str]]:
        sendable = (
            Channel.EMAIL,
            Channel.WHATSAPP,
            Channel.FACEBOOK,
            Channel.INSTAGRAM,
            Channel.TWITTER,
            Channel.SP4N_LAPOR,
        )
        return {
            office: [c.value for c in sendable if self.sender_for(office, c) is not None]
            for office in sorted(self.catalogue.offices)
        }

    async def close(self) -> None:
        await self.client.aclose()
