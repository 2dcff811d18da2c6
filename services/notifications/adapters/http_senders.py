"""Senders over HTTP (httpx): WhatsApp Cloud API, Messenger (Facebook, Instagram), X
direct messages, and the SP4N-LAPOR! follow-up.

Every answer is read the same way (`read_failure`): 2xx accepted; 429 transient, with the
`Retry-After` it gives (seconds or an HTTP date); 408, 5xx, a timeout or a broken
connection transient; any other 4xx refused for good with the provider's own reason.
WhatsApp's throughput errors (130429, 131056, 131048…), which come as 400, are transient.

Idempotency, per provider (documented in the README):
* SP4N-LAPOR!: `Idempotency-Key: <notification id>`; the connector answers a repeated key
  with the follow-up it already has.
* WhatsApp Cloud API, Messenger, X: no idempotency key. A crash between the provider's
  answer and our record sends the message once more, at most.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from services.notifications.config import LaporAccount, MessengerAccount, WhatsAppAccount, XAccount
from services.notifications.domain.outgoing import OutgoingMessage, SendResult, in_session_window

# WhatsApp Cloud API error codes that mean "slow down", not "no".
WHATSAPP_TRANSIENT = frozenset({4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
WHATSAPP_OUTSIDE_WINDOW = 131047  # "Re-engagement message": send a template instead


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def provider_reason(response: httpx.Response) -> str:
    """The provider's own words for a refusal (Graph API `error`, X `detail`/`errors`,
    LAPOR `message`), with the HTTP status."""
    data = _json(response)
    error = data.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        text = error.get("message") or error.get("error_user_msg") or ""
        details = error.get("error_data", {})
        if isinstance(details, dict) and details.get("details"):
            text = f"{text} ({details['details']})"
        return f"HTTP {response.status_code} {code}: {text}".strip()
    for key in ("detail", "message", "title"):
        if isinstance(data.get(key), str):
            return f"HTTP {response.status_code}: {data[key]}"
    if isinstance(data.get("errors"), list) and data["errors"]:
        first = data["errors"][0]
        if isinstance(first, dict):
            return f"HTTP {response.status_code}: {first.get('message') or first.get('detail')}"
    return f"HTTP {response.status_code}: {response.text[:300]}"


def read_failure(response: httpx.Response) -> SendResult:
    status = response.status_code
    reason = provider_reason(response)
    if status == 429:
        return SendResult(
            ok=False,
            error=reason,
            transient=True,
            retry_after=retry_after(response.headers.get("retry-after")),
        )
    if status == 408 or status >= 500:
        return SendResult(ok=False, error=reason, transient=True)
    return SendResult(ok=False, error=reason, transient=False)


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    json: dict[str, Any],
    headers: dict[str, str],
    accepted: Callable[[httpx.Response], SendResult],
) -> SendResult:
    try:
        response = await client.post(url, json=json, headers=headers)
    except httpx.TimeoutException as exc:
        return SendResult(ok=False, error=f"timeout: {type(exc).__name__}", transient=True)
    except httpx.TransportError as exc:
        return SendResult(ok=False, error=f"unreachable: {exc!r}", transient=True)
    if response.is_success:
        return accepted(response)
    return read_failure(response)


def whatsapp_number(address: str) -> str:
    """The Cloud API's `to`: digits with the country code ('0812…' -> '62812…')."""
    digits = "".join(ch for ch in address if ch.isdigit())
    return "62" + digits[1:] if digits.startswith("0") else digits


class WhatsAppSender:
    """A session (free-form text) message inside the 24-hour customer-care window since
    the citizen's last message; outside it, the approved template with two parameters
    (ticket number, the message on one line)."""

    def __init__(
        self,
        account: WhatsAppAccount,
        *,
        client: httpx.AsyncClient,
        base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.account = account
        self.client = client
        self.url = (
            f"{(account.base_url or base_url).rstrip('/')}/{account.phone_number_id}/messages"
        )
        self.clock = clock

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account.access_token.get_secret_value()}"}

    def _session(self, message: OutgoingMessage) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": whatsapp_number(message.address),
            "type": "text",
            "text": {"preview_url": True, "body": message.body[:4096]},
        }

    def _template(self, message: OutgoingMessage) -> dict[str, Any]:
        one_line = " ".join(message.body.split())[:1000]  # no newlines in a parameter
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": whatsapp_number(message.address),
            "type": "template",
            "template": {
                "name": self.account.template_name,
                "language": {"code": self.account.template_language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": message.ticket_number or "-"},
                            {"type": "text", "text": one_line},
                        ],
                    }
                ],
            },
        }

    @staticmethod
    def _accepted(how: str) -> Callable[[httpx.Response], SendResult]:
        def read(response: httpx.Response) -> SendResult:
            messages = _json(response).get("messages")
            wamid = messages[0].get("id") if isinstance(messages, list) and messages else None
            return SendResult(ok=True, provider_message_id=wamid, how=how)

        return read

    async def _post(self, body: dict[str, Any], how: str) -> SendResult:
        result = await post(
            self.client, self.url, json=body, headers=self._headers(), accepted=self._accepted(how)
        )
        if not result.ok and not result.transient and result.error:
            code = _error_code(result.error)
            if code in WHATSAPP_TRANSIENT:
                return SendResult(ok=False, error=result.error, transient=True)
        return result

    async def send(self, message: OutgoingMessage) -> SendResult:
        if in_session_window(message.last_inbound_at, self.clock()):
            result = await self._post(self._session(message), "whatsapp_session")
            if result.ok or _error_code(result.error or "") != WHATSAPP_OUTSIDE_WINDOW:
                return result
            # The window closed after all (the provider's clock decides): the template.
        return await self._post(self._template(message), "whatsapp_template")


def _error_code(reason: str) -> int | None:
    """The Graph API error code in a reason made by `provider_reason` ('HTTP 400 131047: …')."""
    parts = reason.split(maxsplit=3)
    if len(parts) >= 3 and parts[0] == "HTTP":
        code = parts[2].rstrip(":")
        if code.isdigit():
            return int(code)
    return None


class MessengerSender:
    """Messenger send API for a Facebook page, or for its Instagram account (the same
    endpoint, the Instagram-scoped id as recipient). Outside the 24-hour window Meta allows
    only a tagged message: `ACCOUNT_UPDATE` (a change to the person's application)."""

    MAX_TEXT = 2000

    def __init__(
        self,
        account: MessengerAccount,
        *,
        client: httpx.AsyncClient,
        base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.account = account
        self.client = client
        self.url = f"{(account.base_url or base_url).rstrip('/')}/{account.page_id}/messages"
        self.clock = clock

    async def send(self, message: OutgoingMessage) -> SendResult:
        inside = in_session_window(message.last_inbound_at, self.clock())
        kind = (
            {"messaging_type": "RESPONSE"}
            if inside
            else {
                "messaging_type": "MESSAGE_TAG",
                "tag": "ACCOUNT_UPDATE",
            }
        )
        text = message.body
        chunks = [text[i : i + self.MAX_TEXT] for i in range(0, len(text), self.MAX_TEXT)] or [""]
        first: SendResult | None = None
        for chunk in chunks:
            result = await post(
                self.client,
                self.url,
                json={"recipient": {"id": message.address}, **kind, "message": {"text": chunk}},
                headers={"Authorization": f"Bearer {self.account.access_token.get_secret_value()}"},
                accepted=lambda r: SendResult(
                    ok=True, provider_message_id=_json(r).get("message_id"), how="messenger"
                ),
            )
            if not result.ok:
                return result
            first = first or result
        assert first is not None
        return first


class XSender:
    """X API v2: `POST /2/dm_conversations/with/{participant_id}/messages`."""

    def __init__(self, account: XAccount, *, client: httpx.AsyncClient, base_url: str) -> None:
        self.account = account
        self.client = client
        self.base = (account.base_url or base_url).rstrip("/")

    async def send(self, message: OutgoingMessage) -> SendResult:
        def accepted(response: httpx.Response) -> SendResult:
            data = _json(response).get("data")
            event = data.get("dm_event_id") if isinstance(data, dict) else None
            return SendResult(ok=True, provider_message_id=event, how="x_direct_message")

        return await post(
            self.client,
            f"{self.base}/2/dm_conversations/with/{message.address}/messages",
            json={"text": message.body[:10_000]},
            headers={"Authorization": f"Bearer {self.account.access_token.get_secret_value()}"},
            accepted=accepted,
        )


class LaporSender:
    """SP4N-LAPOR! follow-up (tindak lanjut) on the report's tracking id:
    `POST {base}/v1/reports/{tracking_id}/follow-ups` with `Idempotency-Key`, body
    `{"content", "reference", "sent_at"}`; 201 (or 200 for a repeated key) with `{"id"}`."""

    def __init__(self, account: LaporAccount, *, client: httpx.AsyncClient, base_url: str) -> None:
        self.account = account
        self.client = client
        self.base = (account.base_url or base_url).rstrip("/")

    async def send(self, message: OutgoingMessage) -> SendResult:
        return await post(
            self.client,
            f"{self.base}/v1/reports/{message.address}/follow-ups",
            json={
                "content": message.body,
                "reference": message.ticket_number,
                "sent_at": datetime.now(UTC).isoformat(),
            },
            headers={
                "Authorization": f"Bearer {self.account.access_token.get_secret_value()}",
                "Idempotency-Key": str(message.notification_id),
            },
            accepted=lambda r: SendResult(
                ok=True,
                provider_message_id=str(_json(r)["id"]) if _json(r).get("id") else None,
                how="lapor_follow_up",
            ),
        )
