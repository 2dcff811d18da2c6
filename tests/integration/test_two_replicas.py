"""Two replicas of a consuming service in one consumer group (issue 18, point 10), as real
processes on the embedded PostgreSQL and Kafka-protocol broker.

Each consuming service (casework, eligibility, documents, notifications) runs twice,
`python -m services.<name>`, same database, same group. Casework's case views show a
doubled event as a doubled timeline entry; for every service, an effect done twice would
show as two events of one type caused by one registration. Registrations are
published through intake's outbox relay onto the topic's partitions (key = case id). Both
replicas take a share (the partitions are divided between them); in the middle of the load
one is killed with SIGKILL. The survivor is given the dead one's partitions by the group's
rebalance and every case is there exactly once: nothing lost, nothing doubled. The
replicas' periodic catch-up from the store is put off for the test (their start-up one finds
an empty store), so everything applied came through the consumer group."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
import pytest

from shared.contracts.base import EventMetadata
from shared.contracts.events import ComplaintRegistered
from shared.eventstore.store import EventStore
from shared.infra import free_port
from shared.kafka import ensure_topics, make_producer, topic_partitions
from shared.outbox import OutboxRelay
from shared.runtime import migrate_service
from shared.settings import REPO_ROOT, Settings, topic_name
from tests.integration.test_casework_projection import registration

pytestmark = pytest.mark.integration

CASES = 300
# The other services with fewer cases: the same rebalance, a shorter run.
SERVICE_CASES = {"casework": CASES, "eligibility": 120, "documents": 120, "notifications": 120}
# The real service process (`python -m services.<name>`), with its periodic catch-up from
# the store pushed out of the test's time: what the survivor applies came by Kafka.
SERVE_WITHOUT_PERIODIC_CATCH_UP = """
import sys
from importlib import import_module
from shared.runtime import serve
name = sys.argv[1]
app = import_module(f"services.{name}.bootstrap").create_app()
app.state.runtime.catch_up_seconds = 3600.0
serve(app, name)
"""


class Replica:
    def __init__(self, service: str, name: str, settings: Settings, log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "DATABASE_URL": settings.database_url or "",
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
            "KAFKA_ENABLE_IDEMPOTENCE": str(settings.kafka_enable_idempotence).lower(),
            "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
            "KAFKA_TOPIC_PARTITIONS": str(settings.kafka_topic_partitions),
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "SLRT_HTTP_PORT": str(self.port),
            "SLRT_LOG_FORMAT": "json",
            "SLRT_LOG_LEVEL": "INFO",
        }
        self.out = self.log.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603  (our own service)
            [sys.executable, "-c", SERVE_WITHOUT_PERIODIC_CATCH_UP, service],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
        )

    def lines(self, event: str) -> list[dict[str, object]]:
        found = []
        for raw in self.log.read_bytes().splitlines():
            if event.encode() in raw:
                try:
                    found.append(orjson.loads(raw))
                except orjson.JSONDecodeError:
                    continue
        return [f for f in found if f.get("event") == event]

    def handled(self) -> int:
        return len(self.lines("event_handled"))

    def consuming(self) -> bool:
        try:
            r = httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1.0)
        except httpx.HTTPError:
            return False
        return r.status_code == 200 and bool(r.json().get("consuming"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()


@pytest.fixture(params=list(SERVICE_CASES))
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    """The hermetic settings, on topics of their own with three partitions (the default
    is one): two replicas of a group share a topic's partitions, so there must be some."""
    shared = settings.model_copy(
        update={
            "kafka_topic_prefix": f"{settings.kafka_topic_prefix}p3.",
            "kafka_topic_partitions": 3,
        }
    )
    await ensure_topics(shared)
    return shared


@pytest.fixture
def replicas(service: str, settings: Settings, tmp_path: Path) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        started.append(Replica(service, f"{service}-a", settings, tmp_path))
        started.append(Replica(service, f"{service}-b", settings, tmp_path))
        yield started
    finally:
        for r in started:
            r.stop()


async def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


async def _register(pool: asyncpg.Pool, n: int) -> list[UUID]:
    ids = []
    async with pool.acquire() as conn, conn.transaction():
        for _ in range(n):
            case_id = uuid4()
            meta = EventMetadata(case_id=case_id, office="lumajang", actor="system:intake")
            await EventStore("intake").append(
                conn, f"complaint-{case_id}", 0, [registration(case_id)], meta
            )
            ids.append(case_id)
    return ids


async def test_two_replicas_share_the_partitions_and_one_killed_loses_nothing(
    service: str,
    settings: Settings,
    pool: asyncpg.Pool,
    database_url: str,
    replicas: list[Replica],
) -> None:
    total = SERVICE_CASES[service]
    topic = topic_name(settings, ComplaintRegistered.topic)
    assert (await topic_partitions(settings, [topic]))[topic] >= 2  # something to share
    await migrate_service(database_url, "intake", None)  # intake's outbox, for its relay
    a, b = replicas

    async def both_consuming() -> bool:
        return a.consuming() and b.consuming()

    await _wait(both_consuming, 90, "both replicas joined the group")

    producer = make_producer(settings, client_id="test-two-replicas")
    await producer.start()
    relay = OutboxRelay(pool, "intake", producer, topic_prefix=settings.kafka_topic_prefix)

    async def applied() -> int:
        async with pool.acquire() as conn:
            return int(await conn.fetchval(f'SELECT count(*) FROM "{service}".processed_events'))

    cases: list[UUID] = []
    killed_at: int | None = None
    try:
        # Phase 1: a first share of the load while both run; both must get some of it.
        cases += await _register(pool, total // 3)
        await relay.drain_once()

        async def both_took_some() -> bool:
            return a.handled() > 0 and b.handled() > 0 and await applied() == len(cases)

        await _wait(both_took_some, 60, "both replicas handled part of the first third")
        # Phase 2: more load, and A is killed (SIGKILL) while it is flowing.
        for _ in range(4):
            cases += await _register(pool, total // 12)
            await relay.drain_once()
            if killed_at is None:
                a.proc.send_signal(signal.SIGKILL)
                a.proc.wait(10)
                killed_at = b.handled()
        # Phase 3: the survivor alone, after the group gave it A's partitions.
        cases += await _register(pool, total - len(cases))
        await relay.drain_once()

        async def all_applied() -> bool:
            return await applied() == len(cases)

        await _wait(all_applied, 120, f"all {total} cases applied by the survivor")
    finally:
        await producer.stop()

    assert len(cases) == total and a.proc.returncode == -signal.SIGKILL
    async with pool.acquire() as conn:
        processed = await conn.fetchval(f'SELECT count(*) FROM "{service}".processed_events')
        dead = await conn.fetchval(f'SELECT count(*) FROM "{service}".dead_letters')
        # Any effect the service records as a fact, done twice, is two events of one type
        # caused by one registration.
        doubled = await conn.fetch(
            """SELECT causation_id, event_type, count(*) FROM eventstore.events
                WHERE case_id = ANY($1::uuid[]) AND causation_id IS NOT NULL
                GROUP BY 1, 2 HAVING count(*) > 1""",
            cases,
        )
        if service == "casework":
            per_case = await conn.fetch(
                """SELECT c.case_id, count(t.*) AS entries
                     FROM casework.cases c LEFT JOIN casework.case_timeline t USING (case_id)
                    GROUP BY c.case_id"""
            )
            assert {r["case_id"] for r in per_case} == set(cases)  # nothing lost
            assert {r["entries"] for r in per_case} == {1}  # nothing doubled
    assert processed == total and dead == 0
    assert doubled == []
    # The survivor took over through the group: it handled what A had been given, and
    # none of it came by the store's catch-up.
    assert killed_at is not None and b.handled() > killed_at
    assert b.lines("caught_up_from_store") == []
    applied_by = [
        str(line["event_id"])
        for r in replicas
        for line in r.lines("event_handled")
        if line.get("applied") is True
    ]
    assert len(applied_by) == len(set(applied_by)) == total  # each once, all through Kafka
    redelivered = [line for line in b.lines("event_handled") if line.get("duplicate") is True]
    print(f"A handled {a.handled()}, B {b.handled()} ({len(redelivered)} redelivered to B)")
