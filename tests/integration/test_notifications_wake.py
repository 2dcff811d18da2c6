"""The delivery worker is woken once the consumer's transaction has committed (issue 15.3),
never inside it: woken, it finds the message. A consumer's transaction held open well past
the old look-again window (~60 ms) still gets its message sent at once after the commit,
with the worker's poll an hour away. Real PostgreSQL, the real consumer, a real SMTP
server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import SignedLetterLinks
from services.notifications.bootstrap import create_app
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints.consumers import build_consumers
from shared.catalogue import load_catalogue
from shared.consumer import Consumer, Handler, Record, store_origin
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.intake_events import StatusRequested
from shared.contracts.vocab import Channel
from shared.eventstore.store import EventStore, read_all, stream_version
from shared.settings import Settings
from tests.providers import KnownDueDates, SmtpSink
from tests.servicekit import eventually, running

pytestmark = pytest.mark.integration

# Longer than the worker's old look-again window after a wake (~60 ms): a consumer's
# batch under load holds its transaction this long.
HELD_OPEN = 0.3


async def _append(pool: asyncpg.Pool, owner: str, stream: str, event: Event) -> EventEnvelope:
    case_id = getattr(event, "case_id", None)
    meta = EventMetadata(case_id=case_id, office="lumajang", actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        (envelope,) = await EventStore(owner).append(conn, stream, version, [event], meta)
    return envelope


def _registered(case_id: UUID) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"LMJ-2026-{case_id.int % 1_000_000:06d}",
        office="lumajang",
        service="kks-recommendation",
        channel=Channel.EMAIL,
        applicant=Applicant(name="Warga Contoh", email="warga@example.org"),
        received_at=datetime.now(UTC),
    )


def _status_asked() -> StatusRequested:
    return StatusRequested(
        inbound_id=uuid4(),
        office="lumajang",
        channel=Channel.EMAIL,
        ticket_number="LMJ-2026-999999",  # nobody's: the neutral refusal, no casework read
        own_citizen=False,
        reply_to="penanya@example.org",
    )


async def _published(pool: asyncpg.Pool, event_id: UUID) -> EventEnvelope:
    async with pool.acquire() as conn:
        envelopes, _ = await read_all(conn, limit=1000, opened=False)  # as published
    return next(e for e in envelopes if e.event_id == event_id)


def _record(envelope: EventEnvelope) -> Record:
    return Record(
        orjson.dumps(envelope.model_dump(mode="json")), envelope.event_type, store_origin(envelope)
    )


async def _pending(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM notifications.messages WHERE status = 'pending'"
            )
        )


class Gate:
    """Holds the consumer's transaction open after the handler has run, until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.released = asyncio.Event()

    def around(self, handler: Handler) -> Handler:
        async def held(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
            await handler(conn, envelope)
            self.entered.set()
            await self.released.wait()

        return held

    async def hold(self, apply: Awaitable[Any], checks: Callable[[], Awaitable[None]]) -> None:
        """Run `apply` with the transaction held open `HELD_OPEN` after its handler ran;
        `checks` run while it is open."""
        task = asyncio.ensure_future(apply)
        entered = asyncio.ensure_future(self.entered.wait())
        await asyncio.wait([task, entered], return_when=asyncio.FIRST_COMPLETED)
        assert self.entered.is_set(), "the handler did not run"
        try:
            await asyncio.sleep(HELD_OPEN)
            await checks()
        finally:
            self.released.set()
            await task


@pytest.mark.parametrize("asked", [False, True], ids=["told", "status_answer"])
async def test_the_worker_is_woken_only_after_the_consumers_commit(
    pool: asyncpg.Pool, notifications_ready: Settings, asked: bool
) -> None:
    wakes: list[bool] = []  # per wake: had the transaction been let go by then
    looks: list[asyncio.Task[int]] = []
    gate = Gate()

    def wake() -> None:
        wakes.append(gate.released.is_set())
        looks.append(asyncio.create_task(_pending(pool)))  # what a woken worker would find

    links = SignedLetterLinks(
        base_url="https://slrt.example.org", secret="s" * 32, ttl=timedelta(days=7)
    )
    handlers, _ = build_consumers(
        OfficeDirectory(load_catalogue(notifications_ready.slrt_catalogue_dir)),
        links,
        wake,
        staff_emails={},
    )
    if asked:
        event: Event = _status_asked()
        stream = f"inbound-{uuid4()}"
    else:
        event = _registered(uuid4())
        stream = f"complaint-{event.case_id}"
    envelope = await _published(pool, (await _append(pool, "intake", stream, event)).event_id)
    handlers = {**handlers, envelope.event_type: gate.around(handlers[envelope.event_type])}
    consumer = Consumer(pool, "notifications", handlers)

    async def while_open() -> None:
        assert wakes == []  # the message is kept, not committed: a worker would find nothing
        assert await _pending(pool) == 0

    await gate.hold(consumer.deliver_batch([_record(envelope)]), while_open)
    await asyncio.sleep(0.05)  # the wake runs just after the COMMIT returns
    assert wakes == [True]
    assert [await look for look in looks] == [1]  # woken, the worker finds it


async def test_a_message_kept_in_a_long_transaction_is_sent_once_it_commits(
    pool: asyncpg.Pool, settings: Settings, sink: SmtpSink
) -> None:
    own = NotificationsSettings.model_validate(
        {
            "slrt_channels": {"*": {"email": {"host": "127.0.0.1", "port": sink.port}}},
            "slrt_delivery_poll_seconds": 3600,  # only a wake sends it within the test
            "slrt_delivery_timeout_seconds": 5.0,
            "slrt_staff_emails": {},
        }
    )
    app = create_app(settings, own=own, due_dates=KnownDueDates(date(2026, 12, 7)))
    async with running(app):
        runtime = app.state.runtime
        consumer = runtime.consumer
        gate = Gate()
        handler = consumer.handlers["ComplaintRegistered"]
        consumer.handlers = {**consumer.handlers, "ComplaintRegistered": gate.around(handler)}
        case_id = uuid4()
        envelope = await _published(
            pool,
            (await _append(pool, "intake", f"complaint-{case_id}", _registered(case_id))).event_id,
        )

        async def while_open() -> None:
            assert sink.mails == []
            assert await _pending(pool) == 0

        await gate.hold(consumer.deliver_batch([_record(envelope)]), while_open)

        async def sent() -> bool:
            return bool(sink.mails)

        await eventually(sent, timeout=20)
        (mail,) = sink.mails
        assert mail.rcpt_tos == ("warga@example.org",)
        assert runtime.worker.delivered == 1
