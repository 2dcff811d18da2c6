"""Intake on two processes behind one port (`SLRT_INTAKE_WORKERS=2`, `shared/workers.py`),
as `python -m services.intake` runs it, on the session's real PostgreSQL and broker.

The concurrency tests of `test_intake_requests.py` and `test_intake_group_commit.py` are
imported here and run again with their `intake`/`app` fixture pointed at the two
processes (pytest collects an imported test with this module's fixtures): tickets stay
distinct and in sequence, a request sent several times at once is still one case, a
refusal stays its own request's, and what either process writes reaches Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from bench.http import Connection
from shared.infra import free_port
from shared.settings import REPO_ROOT, Settings
from tests.integration.test_intake_group_commit import (
    test_a_refusal_in_a_batch_is_that_requests_alone,
)
from tests.integration.test_intake_requests import (
    LUMAJANG_DESK,
    request_body,
    test_a_redelivered_request_returns_the_same_case,
    test_a_request_becomes_a_case_in_the_store_and_on_kafka,
    test_concurrent_registrations_get_distinct_tickets,
)
from tests.servicekit import scrape, total

pytestmark = pytest.mark.integration

__all__ = [  # run again here, against two processes
    "test_a_redelivered_request_returns_the_same_case",
    "test_a_refusal_in_a_batch_is_that_requests_alone",
    "test_a_request_becomes_a_case_in_the_store_and_on_kafka",
    "test_concurrent_registrations_get_distinct_tickets",
]


@dataclass
class Workers:
    supervisor: subprocess.Popen[bytes]
    url: str
    port: int
    smtp_port: int
    log: Path

    def children(self) -> list[psutil.Process]:
        children: list[psutil.Process] = psutil.Process(self.supervisor.pid).children()
        return children

    def started(self) -> int:
        """How many workers have logged that their runtime is up."""
        lines = self.log.read_text(errors="replace").splitlines()
        return sum(1 for line in lines if '"service_started"' in line)


def _env(settings: Settings, port: int, smtp_port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SLRT_JWT_PRIVATE_KEY", "SLRT_JWT_PRIVATE_KEY_FILE")
    }
    env.update(
        DATABASE_URL=settings.database_url or "",
        KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers or "",
        KAFKA_ENABLE_IDEMPOTENCE=str(settings.kafka_enable_idempotence).lower(),
        KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix,
        KAFKA_SESSION_TIMEOUT_MS=str(settings.kafka_session_timeout_ms),
        KAFKA_HEARTBEAT_INTERVAL_MS=str(settings.kafka_heartbeat_interval_ms),
        SLRT_HTTP_HOST="127.0.0.1",
        SLRT_HTTP_PORT=str(port),
        SLRT_SMTP_PORT=str(smtp_port),
        SLRT_INTAKE_WORKERS="2",
        SLRT_LOG_FORMAT="json",
        SLRT_LOG_LEVEL="INFO",
    )
    return env


@contextlib.contextmanager
def two_workers(settings: Settings, tmp_path: Path, timeout: float = 90.0) -> Iterator[Workers]:
    port, smtp_port = free_port(), free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "intake.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.intake"],
            env=_env(settings, port, smtp_port),
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    workers = Workers(proc, f"http://127.0.0.1:{port}", port, smtp_port, log)
    try:
        deadline = time.monotonic() + timeout
        while workers.started() < 2:
            if proc.poll() is not None:
                raise AssertionError(f"intake exited {proc.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"two workers not up in {timeout}s:\n{log.read_text()}")
            time.sleep(0.1)
        yield workers
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    with two_workers(settings, tmp_path) as w:
        yield w


@pytest.fixture
async def intake(workers: Workers) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=workers.url, timeout=30) as client:
        yield client


@pytest.fixture
async def app(intake: httpx.AsyncClient) -> tuple[None, httpx.AsyncClient]:
    """The group-commit tests' fixture: no app object in this process, only its client."""
    return None, intake


def _connections(proc: psutil.Process, port: int, status: str) -> int:
    return sum(
        1
        for c in proc.net_connections(kind="tcp")
        if c.laddr and c.laddr.port == port and c.status == status
    )


async def test_both_processes_serve_the_port_and_one_runs_the_smtp_door(
    workers: Workers, intake: httpx.AsyncClient
) -> None:
    children = workers.children()
    assert len(children) == 2
    # Many connections at once (each request of a burst opens its own): the kernel hands
    # them to both workers. A worker still starting up takes none yet, so a few bursts,
    # each on fresh connections, until both hold some.
    served: list[int] = []
    for burst in range(5):
        limits = httpx.Limits(max_connections=40, max_keepalive_connections=40)
        async with httpx.AsyncClient(base_url=workers.url, timeout=30, limits=limits) as fresh:
            replies = await asyncio.gather(
                *(
                    fresh.post(
                        "/v1/requests",
                        json=request_body(
                            applicant={
                                "name": f"Warga Pekerja {burst}-{n}",
                                "phone": f"0812{burst:02d}09{n:04d}",
                            }
                        ),
                        headers=LUMAJANG_DESK,
                    )
                    for n in range(40)
                )
            )
            assert [r.status_code for r in replies] == [201] * 40
            served = [_connections(c, workers.port, psutil.CONN_ESTABLISHED) for c in children]
        if all(n > 0 for n in served):
            break
        await asyncio.sleep(1.0)
    assert all(n > 0 for n in served), served
    # The SMTP door listens in exactly one of them (worker 0), and answers.
    listening = [_connections(c, workers.smtp_port, psutil.CONN_LISTEN) for c in children]
    assert sorted(listening) == [0, 1], listening
    reader, writer = await asyncio.open_connection("127.0.0.1", workers.smtp_port)
    try:
        greeting = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert greeting.startswith(b"220")
    # The Kafka consumer too: one worker's log says it joined the group.
    lines = [json.loads(x) for x in workers.log.read_text().splitlines() if x.startswith("{")]
    started = [x for x in lines if x.get("event") == "service_started"]
    assert sorted(len(x["topics"]) > 0 for x in started) == [False, True], started


async def test_one_relay_publishes_what_both_workers_write_when_they_write_it(
    workers: Workers, settings: Settings
) -> None:
    """Worker 0 alone runs the outbox relay; worker 1 wakes it after each commit
    (shared/relay_wake.py). Requests sent one at a time on a connection worker 1 holds:
    each event is on Kafka soon after it was written. Without the wake, each would wait
    for the relay's one-second poll (half a second on average)."""
    children = workers.children()
    smtp = [_connections(c, workers.smtp_port, psutil.CONN_LISTEN) for c in children]
    other = children[smtp.index(0)]  # worker 0 runs the SMTP door; this is worker 1
    lines = [json.loads(x) for x in workers.log.read_text().splitlines() if x.startswith("{")]
    started = [x for x in lines if x.get("event") == "service_started"]
    assert sorted(x["relay"] for x in started) == [False, True], started

    # A connection the kernel gave worker 1 (new connections are spread by address).
    held: list[Connection] = []
    mine: Connection | None = None
    for _ in range(40):
        held.append(candidate := await Connection.open(workers.url))
        local_port = candidate.writer.get_extra_info("sockname")[1]
        for _ in range(50):  # until a worker has accepted it
            owners = [
                c
                for c in children
                if any(x.raddr and x.raddr.port == local_port for x in c.net_connections("tcp"))
            ]
            if owners:
                break
            await asyncio.sleep(0.02)
        if owners == [other]:
            mine = candidate
            break
    assert mine is not None, "the kernel gave worker 1 none of 40 connections"
    cases: list[str] = []
    try:
        for n in range(12):
            body = request_body(applicant={"name": f"Warga Relay {n}", "phone": f"08120007{n:04d}"})
            r = await mine.post_json("/v1/requests", body, LUMAJANG_DESK)
            assert r.status == 201, r.body
            reply = r.json()
            assert isinstance(reply, dict)
            cases.append(reply["case_id"])
            await asyncio.sleep(0.1)  # one at a time: worker 0 writes nothing meanwhile
    finally:
        for c in held:
            await c.close()

    conn = await asyncpg.connect(settings.database_url)
    try:
        deadline = time.monotonic() + 15
        while True:
            rows = await conn.fetch(
                """SELECT extract(epoch FROM o.sent_at - e.recorded_at) AS waited
                   FROM eventstore.events e JOIN eventstore.outbox o USING (global_position)
                   WHERE e.case_id = ANY($1::uuid[]) AND e.event_type = 'ComplaintRegistered'""",
                cases,
            )
            if len(rows) == len(cases) and all(r["waited"] is not None for r in rows):
                break
            assert time.monotonic() < deadline, "not every event was published in 15 s"
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    waited = sorted(float(r["waited"]) for r in rows)
    # Woken: tens of milliseconds. By the poll alone: about half of them over 0.5 s.
    assert waited[len(waited) // 2] < 0.3, waited
    assert sum(w > 0.5 for w in waited) <= 2, waited

    # Worker 1 answered the requests, worker 0 published them: whichever worker a scrape
    # of the port reaches, `/metrics` counts both (shared/metrics.py, multiprocess).
    for _ in range(4):
        with httpx.Client(timeout=30) as fresh:  # a new connection: either worker's
            m = scrape(fresh, workers.url)
        answered = total(
            m, "slrt_http_request_duration_seconds_count", route="/v1/requests", status="201"
        )
        published = total(m, "slrt_outbox_published_events_total", service="intake")
        assert answered >= len(cases) and published >= len(cases), (answered, published)


async def test_a_worker_that_dies_stops_the_service_and_sigterm_stops_both(
    settings: Settings, tmp_path: Path
) -> None:
    with two_workers(settings, tmp_path / "a") as w:
        first, second = w.children()
        first.send_signal(signal.SIGKILL)
        code = await asyncio.to_thread(w.supervisor.wait, 60)
        assert code != 0  # the supervisor reports the failure, as one process would
        second.wait(30)  # and stops the other worker (it does not keep half a service)
        assert not second.is_running()
    with two_workers(settings, tmp_path / "b") as w:
        children = w.children()
        w.supervisor.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(w.supervisor.wait, 60) == 0
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive and len(gone) == 2
