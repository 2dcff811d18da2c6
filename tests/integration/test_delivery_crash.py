"""A crash between send and record: notifications runs as a real process; when the
provider has received the message (before it answers), the test kills the process with
SIGKILL, restarts it, and counts what the provider got.

Numbers (asserted below, and reported in the README):
* e-mail: 2 SMTP transactions, 1 Message-ID (the same `<notification id@domain>`): one
  message once a mail store deduplicates on it;
* SP4N-LAPOR!: 2 requests with the same `Idempotency-Key`, 1 follow-up on LAPOR;
* WhatsApp (no idempotency key): 2 messages, i.e. one extra at most.
Each case has exactly one `NotificationDelivered`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel
from shared.dbroles import setup_database
from shared.devstack import Stack, start_stack
from shared.eventstore.store import EventStore, read_case
from shared.infra import Backend, Infra
from tests.providers import FakeProviders, SmtpSink
from tests.servicekit import eventually

pytestmark = pytest.mark.integration


def start_notifications(
    infra: Infra, database_url: str, providers: FakeProviders, sink: SmtpSink, logs: Path
) -> Stack:
    borrowed = Infra(
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        database_backend=Backend.EXTERNAL,
        kafka_backend=Backend.EXTERNAL,
        kafka_enable_idempotence=infra.kafka_enable_idempotence,
    )
    channels = {
        "*": {
            "email": {"host": "127.0.0.1", "port": sink.port},
            "whatsapp": {
                "phone_number_id": "crash",
                "access_token": "t",
                "base_url": f"{providers.url}/wa",
            },
            "sp4n_lapor": {"access_token": "t", "base_url": f"{providers.url}/lapor"},
        }
    }
    prefix = database_url.partition("?")[0].rpartition("/")[2]
    return start_stack(
        logs,
        infra=borrowed,
        services=("notifications",),
        fixed_ports=False,
        log_dir=logs,
        extra_env={
            "KAFKA_TOPIC_PREFIX": f"{prefix}.",
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "SLRT_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
            "SLRT_CHANNELS": json.dumps(channels),
            # casework is not running: its stand-in answers the first message's due date
            # (without one the worker waits for it through every attempt, ~40 s a case).
            "SLRT_CASEWORK_URL": f"{providers.url}/casework",
            "SLRT_DELIVERY_BACKOFF_BASE_SECONDS": "0.1",
            "SLRT_DELIVERY_POLL_SECONDS": "0.1",
        },
    )


async def register(pool: asyncpg.Pool, reg: ComplaintRegistered) -> None:
    meta = EventMetadata(case_id=reg.case_id, office=reg.office, actor="system:intake")
    async with pool.acquire() as conn, conn.transaction():
        await EventStore("intake").append(conn, f"complaint-{reg.case_id}", 0, [reg], meta)


def registration(case_id: UUID, channel: Channel, **applicant: Any) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"KPN-2026-{str(case_id.int)[:6]}",
        office="kupang",
        service="public-complaint",
        channel=channel,
        external_id=applicant.pop("external_id", None),
        applicant=Applicant(name="Warga Uji", **applicant),
        received_at=datetime.now(UTC),
    )


async def status_of(pool: asyncpg.Pool, case_id: UUID) -> str | None:
    async with pool.acquire() as conn:
        found: str | None = await conn.fetchval(
            "SELECT status FROM notifications.messages WHERE case_id = $1", case_id
        )
    return found


def killer(holder: dict[str, Stack]) -> Callable[[], None]:
    """Kill the process the first time it is called (from the provider's thread, while
    the provider holds its answer). The worker may get there while `start_stack` still
    waits for the process to be healthy: wait for it first."""
    done: list[bool] = []

    def kill() -> None:
        if done:
            return
        done.append(True)
        deadline = time.monotonic() + 60
        while "stack" not in holder and time.monotonic() < deadline:
            time.sleep(0.05)
        proc: subprocess.Popen[bytes] = holder["stack"].processes["notifications"]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    return kill


async def crash_once(
    infra: Infra,
    database_url: str,
    pool: asyncpg.Pool,
    providers: FakeProviders,
    sink: SmtpSink,
    logs: Path,
    reg: ComplaintRegistered,
    arm: Callable[[Callable[[], None]], None],
) -> list[Any]:
    """Register, start, kill at the provider, restart; the case's delivered events."""
    await register(pool, reg)
    holder: dict[str, Stack] = {}
    arm(killer(holder))
    first = await asyncio.to_thread(start_notifications, infra, database_url, providers, sink, logs)
    holder["stack"] = first
    try:

        async def killed() -> bool:
            return first.processes["notifications"].poll() is not None

        await eventually(killed, timeout=60)
        assert await status_of(pool, reg.case_id) == "pending"  # the record never happened
    finally:
        await asyncio.to_thread(first.stop)
    again = await asyncio.to_thread(start_notifications, infra, database_url, providers, sink, logs)
    try:

        async def sent() -> bool:
            return await status_of(pool, reg.case_id) == "sent"

        await eventually(sent, timeout=60)
    finally:
        await asyncio.to_thread(again.stop)
    async with pool.acquire() as conn:
        return [
            e for e in await read_case(conn, reg.case_id) if e.event_type == "NotificationDelivered"
        ]


async def test_a_crash_between_send_and_record_sends_once_where_the_provider_has_a_key(
    infra: Infra,
    database_url: str,
    pool: asyncpg.Pool,
    providers: FakeProviders,
    sink: SmtpSink,
    tmp_path: Path,
) -> None:
    providers.clear()
    # The store's tables, made the way the stack makes them (roles, then each schema by its
    # owner): the stack started below runs the same set-up again and finds nothing to do.
    await setup_database(database_url)

    # E-mail: killed while the SMTP server takes the message, before it answers 250.
    mail_case = uuid4()

    def arm_mail(kill: Callable[[], None]) -> None:
        sink.on_data = lambda _raw: kill()

    delivered = await crash_once(
        infra,
        database_url,
        pool,
        providers,
        sink,
        tmp_path,
        registration(mail_case, Channel.EMAIL, email="korban.crash@example.org"),
        arm_mail,
    )
    sink.on_data = None
    mails = sink.to("korban.crash@example.org")
    ids = {m.raw.split(b"Message-ID: ")[1].split(b"\r\n")[0] for m in mails}
    assert (len(mails), len(ids)) == (2, 1)
    assert len(delivered) == 1
    assert delivered[0].data["provider_message_id"] == ids.pop().decode()

    # SP4N-LAPOR!: killed while the connector takes the follow-up; the key makes it one.
    lapor_case = uuid4()

    def arm_http(provider: str) -> Callable[[Callable[[], None]], None]:
        def arm(kill: Callable[[], None]) -> None:
            providers.on_receive = lambda name, _body: kill() if name == provider else None

        return arm

    delivered = await crash_once(
        infra,
        database_url,
        pool,
        providers,
        sink,
        tmp_path,
        registration(lapor_case, Channel.SP4N_LAPOR, external_id="LAPOR-CRASH-1"),
        arm_http("lapor"),
    )
    providers.on_receive = None
    assert [h.status for h in providers.attempts("lapor")] == [201, 200]
    assert len(providers.lapor_keys) == 1 and len(delivered) == 1

    # WhatsApp: no idempotency key, so the one extra message the issue allows.
    wa_case = uuid4()
    delivered = await crash_once(
        infra,
        database_url,
        pool,
        providers,
        sink,
        tmp_path,
        registration(wa_case, Channel.WHATSAPP, phone="+6281299990001"),
        arm_http("whatsapp"),
    )
    providers.on_receive = None
    assert len(providers.accepted("whatsapp")) == 2
    assert len(delivered) == 1
