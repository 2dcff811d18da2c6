"""Faults under load (issue 16.11): each fault while a desk registers complaints at a fixed,
modest rate, over the five real service processes on the suite's own PostgreSQL and broker.

1. casework (a consumer) killed with SIGKILL, restarted;
2. the broker stopped for 30 s (killed: its log is in memory, so it comes back empty),
   started again;
3. PostgreSQL stopped for 15 s (an immediate shutdown: every connection cut), started again.

For each: accepted (201), refused (503, with `Retry-After`), any other 5xx (none allowed) and
requests left without an answer (counted), lost (a 201 whose case never reaches casework within
`SETTLE_SECONDS` after recovery) and doubled (a request registered twice, or an effect of a
consumer twice: two events of one type caused by one event, two messages of one template
for one case). Lost and doubled must be 0. The table: tests/faults/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from shared.auth import mint_token
from shared.contracts.vocab import Role
from shared.settings import REPO_ROOT
from tests.faults.conftest import ROWS, FaultStack

pytestmark = pytest.mark.faults

RATE_PER_SECOND = 4.0  # registrations started per second, whatever the answers take
BEFORE_SECONDS = 5.0  # load before the fault
AFTER_SECONDS = 10.0  # load after recovery
REQUEST_TIMEOUT = 20.0
SETTLE_SECONDS = 90.0  # after recovery, for every accepted case to reach casework
BROKER_DOWN_SECONDS = 30.0
POSTGRES_DOWN_SECONDS = 15.0
CASEWORK_DOWN_SECONDS = 3.0
# A case registered once casework consumes again: by Kafka in 0.1-0.5 s in suite runs,
# but Tansu can still write below a consumer's position after the guard's re-read (seen in
# 2 of 12 probes of one standalone run: 23 and 34 s, by the 30 s store catch-up). After a
# broker loss the catch-up runs every 2 s for a minute (shared/runtime.py WARY_SECONDS), so
# such a case arrives within seconds either way; the table says the way and the time.
PROBE_SECONDS = 20.0

_nik = iter(range(1, 10**9))


@dataclass
class Outcome:
    correlation_id: uuid.UUID
    status: int | None  # None: no answer (connection refused, reset, timed out)
    case_id: uuid.UUID | None = None
    retry_after: str | None = None
    error: str | None = None


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    started: float = 0.0
    fault_at: float = 0.0
    recovered_at: float = 0.0
    health: list[tuple[float, dict[str, Any] | None]] = field(default_factory=list)

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 201]

    def count(self, pred: Callable[[Outcome], bool]) -> int:
        return sum(1 for o in self.outcomes if pred(o))


def _body() -> dict[str, Any]:
    n = next(_nik)
    return {
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": "walk_in",
        "applicant": {"name": f"Warga Uji {n}", "nik": f"35089{n:011d}"},
        "description": "PIN KKS terblokir (uji gangguan).",
    }


async def _register(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Outcome:
    cid = uuid.uuid4()
    try:
        r = await client.post(url, json=_body(), headers={**headers, "X-Correlation-ID": str(cid)})
    except httpx.HTTPError as exc:
        return Outcome(cid, None, error=type(exc).__name__)
    case = r.json().get("case_id") if r.status_code == 201 else None
    return Outcome(
        cid,
        r.status_code,
        uuid.UUID(case) if case else None,
        r.headers.get("retry-after"),
        None if r.status_code in (201, 503) else r.text[:300],
    )


async def _watch_health(
    client: httpx.AsyncClient, url: str, load: Load, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            body = (await client.get(url, timeout=2.0)).json()
        except (httpx.HTTPError, ValueError):
            body = None
        load.health.append((time.monotonic(), body))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def under_load(fs: FaultStack, fault: Callable[[Load], Awaitable[None]]) -> Load:
    """Register at `RATE_PER_SECOND` for `BEFORE_SECONDS`, run `fault` (it returns once
    what it broke is started again and sets `recovered_at`), go on for `AFTER_SECONDS`;
    every request answered or timed out."""
    load = Load(started=time.monotonic())
    url = f"{fs.stack.url('intake')}/v1/requests"
    headers = {"Authorization": f"Bearer {mint_token('desk-1', 'lumajang', [Role.FRONT_OFFICE])}"}
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
        pending: set[asyncio.Task[Outcome]] = set()

        async def generate() -> None:
            n = 0
            while not stop.is_set():
                pending.add(asyncio.create_task(_register(client, url, headers)))
                n += 1
                delay = load.started + n / RATE_PER_SECOND - time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(delay, 0))

        health_url = f"{fs.stack.url('casework')}/health"
        background = [
            asyncio.create_task(generate()),
            asyncio.create_task(_watch_health(client, health_url, load, stop)),
        ]
        await asyncio.sleep(BEFORE_SECONDS)
        load.fault_at = time.monotonic()
        await fault(load)
        await asyncio.sleep(AFTER_SECONDS)
        stop.set()
        await asyncio.gather(*background)
        load.outcomes = list(await asyncio.gather(*pending))
    return load


async def _missing(dsn: str, cases: list[uuid.UUID]) -> list[uuid.UUID]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT case_id FROM casework.cases WHERE case_id = ANY($1::uuid[])", cases
        )
    finally:
        await conn.close()
    found = {r["case_id"] for r in rows}
    return [c for c in cases if c not in found]


async def settle(fs: FaultStack, load: Load) -> tuple[list[uuid.UUID], float]:
    """Wait (bounded) for every accepted case in casework; what is still missing, and
    the seconds after recovery when the last one arrived."""
    cases = [o.case_id for o in load.accepted if o.case_id]
    deadline = load.recovered_at + SETTLE_SECONDS
    while True:
        try:
            missing = await _missing(fs.dsn, cases)
        except (OSError, asyncpg.PostgresError):
            missing = cases
        if not missing or time.monotonic() > deadline:
            return missing, time.monotonic() - load.recovered_at
        await asyncio.sleep(0.25)


async def doubled(fs: FaultStack, load: Load) -> list[str]:
    """What happened twice for the load's requests and cases."""
    cases = [o.case_id for o in load.accepted if o.case_id]
    correlations = [o.correlation_id for o in load.outcomes]
    conn = await asyncpg.connect(fs.dsn)
    try:
        found = [
            f"request {r['correlation_id']} registered {r['n']} times"
            for r in await conn.fetch(
                """SELECT correlation_id, count(*) AS n FROM eventstore.events
                   WHERE event_type = 'ComplaintRegistered'
                     AND correlation_id = ANY($1::uuid[])
                   GROUP BY 1 HAVING count(*) > 1""",
                correlations,
            )
        ]
        found += [
            f"case {r['case_id']}: {r['n']} x {r['event_type']} caused by one event"
            for r in await conn.fetch(
                """SELECT case_id, event_type, causation_id, count(*) AS n
                   FROM eventstore.events
                   WHERE case_id = ANY($1::uuid[]) AND causation_id IS NOT NULL
                   GROUP BY 1, 2, 3 HAVING count(*) > 1""",
                cases,
            )
        ]
        found += [
            f"case {r['case_id']}: {r['n']} messages '{r['template']}'"
            for r in await conn.fetch(
                """SELECT case_id, template, count(*) AS n FROM notifications.messages
                   WHERE case_id = ANY($1::uuid[]) GROUP BY 1, 2 HAVING count(*) > 1""",
                cases,
            )
        ]
        found += [
            f"case {r['case_id']}: {r['n']} timeline rows for {r['event_type']}"
            for r in await conn.fetch(
                """SELECT case_id, event_type, count(*) AS n FROM casework.case_timeline
                   WHERE case_id = ANY($1::uuid[]) AND event_type = 'ComplaintRegistered'
                   GROUP BY 1, 2 HAVING count(*) > 1""",
                cases,
            )
        ]
    finally:
        await conn.close()
    return found


def report(
    name: str,
    load: Load,
    lost: list[uuid.UUID],
    dup: list[str],
    after: float,
    live: float | None = None,
) -> None:
    refused = load.count(lambda o: o.status == 503)
    other = load.count(lambda o: o.status is not None and o.status >= 500 and o.status != 503)
    silent = load.count(lambda o: o.status is None)
    duration = load.outcomes and (len(load.outcomes) / RATE_PER_SECOND)
    ROWS.append(
        f"| {name} | {len(load.outcomes)} requests, {RATE_PER_SECOND:g}/s, "
        f"{duration:.0f} s | {len(load.accepted)} | {refused} | {other} | {silent} "
        f"| {len(lost)} | {len(dup)} | {after:.1f} | {load.recovered_at - load.fault_at:.1f} "
        f"| {'–' if live is None else f'{live:.1f}'} |"
    )


def check(load: Load, lost: list[uuid.UUID], dup: list[str]) -> None:
    assert load.accepted, "nothing was accepted: the load never ran"
    assert not lost, f"{len(lost)} accepted cases never reached casework: {lost[:5]}"
    assert not dup, f"doubled: {dup[:5]}"
    refusals = [o for o in load.outcomes if o.status == 503]
    assert all(o.retry_after for o in refusals), "a 503 without Retry-After"
    # Every answer is 201 or 503 (never a 500); a request left without an answer (a
    # connection closed under it) is counted in the table, not failed on (see the note).
    others = [o for o in load.outcomes if o.status not in (201, 503, None)]
    assert not others, f"answers other than 201/503: {[(o.status, o.error) for o in others[:5]]}"


def _process_env(pid: int) -> dict[str, str]:
    raw = open(f"/proc/{pid}/environ", "rb").read()  # noqa: SIM115
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode() for k, v in pairs}


def _start_casework(fs: FaultStack, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """casework again, as the stack started it (same environment, port and log file)."""
    with (fs.log_dir / "casework.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "services.casework"],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def _healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1.0) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


def test_casework_killed_and_restarted_under_load(fault_stack: FaultStack) -> None:
    fs = fault_stack

    async def fault(load: Load) -> None:
        proc = fs.stack.processes["casework"]
        env = _process_env(proc.pid)
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
        await asyncio.sleep(CASEWORK_DOWN_SECONDS)
        fs.stack.processes["casework"] = await asyncio.to_thread(_start_casework, fs, env)
        await _healthy(fs.stack.url("casework"))
        load.recovered_at = time.monotonic()

    async def run() -> None:
        load = await under_load(fs, fault)
        lost, after = await settle(fs, load)
        dup = await doubled(fs, load)
        report("casework killed (SIGKILL), restarted", load, lost, dup, after)
        check(load, lost, dup)

    asyncio.run(run())


def _live_again(load: Load) -> float | None:
    """When casework's /health said `consuming` again after the fault (monotonic)."""
    for at, body in load.health:
        if at > load.recovered_at and body and body.get("consuming") is True:
            return at
    return None


def test_broker_down_30s_under_load(fault_stack: FaultStack) -> None:
    fs = fault_stack

    async def fault(load: Load) -> None:
        fs.broker.kill()
        await asyncio.sleep(BROKER_DOWN_SECONDS)
        await asyncio.to_thread(fs.broker.start)
        load.recovered_at = time.monotonic()

    async def run() -> None:
        load = await under_load(fs, fault)
        # The truth while it was away: casework did not claim to be consuming.
        during = [
            body
            for at, body in load.health
            if load.fault_at + 5 < at < load.recovered_at and body is not None
        ]
        assert during and all(b["consuming"] is False for b in during), during[-3:]
        assert all(b["kafka"] == "unreachable" for b in during), during[-3:]
        live = _live_again(load)
        assert live is not None, f"casework never said consuming again: {load.health[-3:]}"
        lost, after = await settle(fs, load)
        dup = await doubled(fs, load)
        live_after = live - load.recovered_at
        report("broker down 30 s (restarted empty)", load, lost, dup, after, live_after)
        check(load, lost, dup)
        # A case registered once casework says it consumes again: it arrives (by Kafka,
        # or else by the store's catch-up, which marks what it applies `via: store`).
        way, seconds = await probe_live(fs)
        ROWS.append(
            f"| (probe after the broker's return: one case, reached casework by {way} "
            f"in {seconds:.1f} s) | | | | | | | | | | |"
        )

    asyncio.run(run())


async def probe_live(fs: FaultStack) -> tuple[str, float]:
    headers = {"Authorization": f"Bearer {mint_token('desk-1', 'lumajang', [Role.FRONT_OFFICE])}"}
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        outcome = await _register(client, f"{fs.stack.url('intake')}/v1/requests", headers)
    assert outcome.status == 201 and outcome.case_id
    sent = time.monotonic()
    # Measured before the fix: 30 s, the broker writing below the consumer's position
    # (shared/broker_watch.py `Overtaken`). The table reports how long it really took.
    deadline = sent + PROBE_SECONDS
    while await _missing(fs.dsn, [outcome.case_id]):
        assert time.monotonic() < deadline, "the probe case did not reach casework"
        await asyncio.sleep(0.1)
    lines = [
        json.loads(line)
        for line in (fs.log_dir / "casework.log").read_text(errors="replace").splitlines()
        if str(outcome.case_id) in line and line.startswith("{")
    ]
    seconds = time.monotonic() - sent
    # Kafka's deliveries are logged one by one; the store's catch-up only counts them.
    handled = [x for x in lines if x.get("event") == "event_handled" and x.get("applied")]
    if not handled:
        return "the store's catch-up", seconds
    return (
        "the store's catch-up" if any(x.get("via") == "store" for x in handled) else "Kafka"
    ), seconds


def test_postgres_down_15s_under_load(fault_stack: FaultStack) -> None:
    fs = fault_stack

    async def fault(load: Load) -> None:
        await asyncio.to_thread(fs.postgres.stop)
        await asyncio.sleep(POSTGRES_DOWN_SECONDS)
        await asyncio.to_thread(fs.postgres.start)
        load.recovered_at = time.monotonic()

    async def run() -> None:
        load = await under_load(fs, fault)
        lost, after = await settle(fs, load)
        dup = await doubled(fs, load)
        report("PostgreSQL down 15 s", load, lost, dup, after)
        check(load, lost, dup)
        assert load.count(lambda o: o.status == 503) > 0, "the outage was never seen"

    asyncio.run(run())
