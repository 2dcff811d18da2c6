"""A message on its way out, and the rules of getting it there (pure).

The consumer only records what must be sent; the delivery worker sends. Here:

* what a message waiting to go out carries (`OutgoingMessage`);
* which channels have no machine to send to (telephone, walk-in: a staff call-back; post:
  the print list), `task_kind`;
* WhatsApp's 24-hour customer-care window since the citizen's last message;
* the order a case's messages go out in: the receipt first (`case_order`, `held_for_receipt`);
* what one attempt's result means: delivered, try again later (exponential back-off with
  jitter; the provider's `Retry-After` obeyed when it is longer), or failed for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from shared.contracts.vocab import Channel

# No machine to send to: the message becomes a task on a staff list.
TASK_KINDS: dict[Channel, Literal["call_back", "print"]] = {
    Channel.TELEPHONE: "call_back",
    Channel.WALK_IN: "call_back",
    Channel.LETTER: "print",  # a letter by post, printed and posted by staff
}
STAFF_HOWS = ("telephone_call", "in_person", "post")

WHATSAPP_WINDOW = timedelta(hours=24)

# The first message of a case: its ticket, the check code, the status page.
RECEIPT = "complaint_registered"
# How long a case's other messages wait for its receipt to be kept (see `held_for_receipt`).
RECEIPT_WAIT_SECONDS = 300.0


def task_kind(channel: Channel) -> Literal["call_back", "print"] | None:
    return TASK_KINDS.get(channel)


@dataclass(frozen=True)
class OutgoingMessage:
    """What a sender needs. `address` is personal data: never logged."""

    notification_id: UUID
    case_id: UUID
    channel: Channel
    address: str
    template: str
    body: str  # Bahasa Indonesia, plain text
    office: str = ""
    ticket_number: str = ""
    service: str = ""  # the case's service (catalogue id): an e-mail's subject words it
    thread_ref: str | None = None  # the citizen's own Message-ID, or LAPOR's tracking id
    last_inbound_at: datetime | None = None  # the citizen's last message on this channel
    letter_id: UUID | None = None  # a signed letter to attach, where the channel carries files
    attempts: int = 0  # attempts made before this one


def in_session_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """WhatsApp: a free-form (session) message is allowed within 24 hours of the citizen's
    last message to the business; outside it, only an approved template."""
    return last_inbound_at is not None and now - last_inbound_at < WHATSAPP_WINDOW


def case_order(
    template: str, cause_position: int | None, created_at: datetime
) -> tuple[bool, int, datetime]:
    """The order a case's messages go out in: the receipt first, then by their cause
    event's global position in the event store (the order the causes happened, whatever
    order the consumer applied them in: they come by different topics), then by when they
    were kept. A message kept before causes had positions counts as the oldest. A message
    waits while one before it in this order is still pending (`adapters/messages.py`)."""
    return (template != RECEIPT, cause_position or 0, created_at)


def held_for_receipt(
    template: str, *, receipt_kept: bool, kept_at: datetime, now: datetime, wait_seconds: float
) -> bool:
    """A case's message other than the receipt waits until the receipt is kept: an event of
    another service (a DTKS or domicile refusal) may be applied before the registration
    (by another topic, or a later batch). Bounded: after `wait_seconds` from when it was
    kept it goes anyway (a case whose receipt is never kept, say a registration that
    failed to apply, must not silence the citizen's other messages)."""
    if template == RECEIPT or receipt_kept:
        return False
    return now - kept_at < timedelta(seconds=wait_seconds)


@dataclass(frozen=True)
class SendResult:
    """One attempt's result, as a sender reports it.

    ok: the provider accepted it (`provider_message_id`, `how`). Not ok and `transient`:
    try again later (network, 5xx, 429 with `retry_after` seconds, a timeout). Not ok and
    not transient: refused for good (a 4xx, a permanent SMTP reply), with the reason."""

    ok: bool
    error: str | None = None
    provider_message_id: str | None = None
    how: str | None = None
    transient: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """The delivery worker's rules: the back-off between attempts, the last attempt, and
    how long a case's messages wait for its receipt (`held_for_receipt`)."""

    max_attempts: int = 10
    base_seconds: float = 2.0
    cap_seconds: float = 300.0
    receipt_wait_seconds: float = RECEIPT_WAIT_SECONDS

    def backoff(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): the base
        doubled each time, capped, then scaled by `jitter` in [0.5, 1] ("equal jitter":
        never less than half, so the schedule's span is known)."""
        raw = min(self.cap_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        return raw * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))

    def min_span(self) -> float:
        """The least time from the first attempt to the last (every jitter at its lowest):
        a provider down for less than this loses nothing."""
        return sum(self.backoff(a, 0.0) for a in range(1, self.max_attempts))


@dataclass(frozen=True)
class Delivered:
    provider_message_id: str | None
    how: str
    attempts: int


@dataclass(frozen=True)
class TryAgain:
    at: datetime
    reason: str
    attempts: int


@dataclass(frozen=True)
class Failed:
    reason: str
    code: Literal["refused", "retries_exhausted"]
    attempts: int


def after_attempt(
    result: SendResult,
    *,
    attempts: int,
    policy: RetryPolicy,
    now: datetime,
    jitter: float,
    default_how: str,
) -> Delivered | TryAgain | Failed:
    """What one attempt (number `attempts`, 1-based) leads to."""
    if result.ok:
        return Delivered(result.provider_message_id, result.how or default_how, attempts)
    reason = result.error or "refused by the provider"
    if not result.transient:
        return Failed(reason, "refused", attempts)
    if attempts >= policy.max_attempts:
        return Failed(reason, "retries_exhausted", attempts)
    wait = policy.backoff(attempts, jitter)
    if result.retry_after is not None:
        wait = max(wait, result.retry_after)
    return TryAgain(now + timedelta(seconds=wait), reason, attempts)
