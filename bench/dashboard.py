"""The staff web app under load (`make bench`):

* **Live fan-out**: 200 pages hold `/langsung` (Server-Sent Events) open; a request is
  registered through intake's API, and the time from its 201 to the `change` for that
  case arriving on every one of the 200 streams is measured (p50/p99 over all of them).
  Baseline: the same bench's plain HTTP round trip to the dashboard (`GET /health`, one
  connection, one request at a time).
* **Office dashboard render**: `GET /kantor` (the head of office's page: two summaries and
  the IKM read from casework, charts drawn) with the office holding `--dashboard-cases`
  cases (10,000 by default; seeded through intake's API). p50/p99 against the same plain
  round trip.

The streams are raw sockets (like `bench/http.py`), so the bench measures the dashboard,
not an SSE client library.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx

from bench.http import Connection
from bench.raw import percentile
from shared.auth import mint_token
from shared.contracts.vocab import Role
from shared.settings import REPO_ROOT

PASSWORD = "kata-sandi-bench-123"  # noqa: S105  (a synthetic bench account only)
CHANGE = re.compile(rb'"case_id":"([0-9a-f-]{36})","event_type":"ComplaintRegistered"')


def create_account(dsn: str, username: str, role: str) -> None:
    """A Lumajang staff account, made the way an operator makes one (`slrt staff create`)."""
    done = subprocess.run(  # noqa: S603  (our own command line)
        [
            sys.executable,
            "-m",
            "shared.cli",
            "staff",
            "create",
            "--office",
            "lumajang",
            "--name",
            f"Bench {role}",
            "--username",
            username,
            "--password-stdin",
            "--role",
            role,
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": dsn},
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr + done.stdout)


async def sign_in(base: str, username: str) -> str:
    """The session cookie of a signed-in person (the sign-in form, CSRF token and all)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        page = await c.get("/masuk")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        r = await c.post(
            "/masuk",
            data={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
        )
        assert r.status_code in (200, 303), r.text[:300]
        cookie = c.cookies.get("slrt_session")
        assert cookie, "sign-in gave no session"
        return str(cookie)


async def round_trips(base: str, n: int) -> list[float]:
    """`GET /health` on the dashboard, one at a time on one keep-alive connection."""
    conn = await Connection.open(base)
    try:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            r = await conn.request("GET", "/health")
            out.append(time.perf_counter() - t0)
            assert r.status == 200
        return out
    finally:
        await conn.close()


class Stream:
    """One open page's `/langsung`: when each case's registration arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.on_change: Callable[[], None] = lambda: None

    async def run(self, base: str, cookie: str) -> None:
        parts = urlsplit(base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        writer.write(
            (
                f"GET /langsung HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Cookie: slrt_session={cookie}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        buffer = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                now = time.perf_counter()
                buffer += chunk
                if b"event: ready" in buffer:
                    self.ready.set()
                for match in CHANGE.finditer(buffer):
                    self.arrived.setdefault(match.group(1).decode(), now)
                    self.on_change()
                buffer = buffer[-200:]  # keep a partial line, drop what was read
        finally:
            writer.close()


async def fan_out(
    base: str, intake: str, cookie: str, *, connections: int, commands: int
) -> list[float]:
    """Seconds from each command's 201 to its change on each open stream."""
    streams = [Stream() for _ in range(connections)]
    for s in streams:
        s.task = asyncio.create_task(s.run(base, cookie))
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), timeout=60)
    token = mint_token("bench-live", "lumajang", [Role.FRONT_OFFICE])
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    conn = await Connection.open(intake)
    try:
        for i in range(commands):
            body = {
                "office": "lumajang",
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {"name": f"Warga Langsung {i}", "phone": f"0813{i:08d}"},
                "description": "Lupa PIN KKS (data uji bench, halaman langsung)",
            }
            r = await conn.post_json("/v1/requests", body, headers)
            answered = time.perf_counter()
            assert r.status == 201, r.body[:200]
            reply = r.json()
            assert isinstance(reply, dict)
            case = str(reply["case_id"])
            deadline = answered + 30
            # Arrival times are taken as each stream reads; this wait only paces the loop.
            while time.perf_counter() < deadline and any(case not in s.arrived for s in streams):  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            latencies += [s.arrived[case] - answered for s in streams if case in s.arrived]
            missing = sum(1 for s in streams if case not in s.arrived)
            if missing:
                print(f"!! {missing} streams never saw case {case}", flush=True)
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
        for s in streams:
            if s.task:
                s.task.cancel()
        await asyncio.gather(*(s.task for s in streams if s.task), return_exceptions=True)
    return latencies


async def office_cases(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM casework.cases WHERE office = 'lumajang'")
        )
    finally:
        await conn.close()


async def render_times(base: str, cookie: str, n: int) -> list[float]:
    conn = await Connection.open(base)
    try:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            r = await conn.request("GET", "/kantor", headers={"Cookie": f"slrt_session={cookie}"})
            out.append(time.perf_counter() - t0)
            assert r.status == 200, r.body[:300]
            assert b"chart-channel-hari" in r.body
        return out
    finally:
        await conn.close()


async def dashboard_bench(
    dsn: str,
    dashboard: str,
    intake: str,
    *,
    connections: int,
    commands: int,
    office_cases_wanted: int,
    seed: Callable[[int], Awaitable[Any]],
    settle: Callable[[], Awaitable[Any]],
) -> dict[str, float]:
    """SSE fan-out p50/p99 and the office page's render p50/p99 (ms), and the plain HTTP
    round trip measured here, their baseline."""
    create_account(dsn, "bench-desk", "front_office")
    create_account(dsn, "bench-head", "head_of_office")
    desk = await sign_in(dashboard, "bench-desk")
    head = await sign_in(dashboard, "bench-head")
    plain = await round_trips(dashboard, 300)
    live = await fan_out(dashboard, intake, desk, connections=connections, commands=commands)
    have = await office_cases(dsn)
    if have < office_cases_wanted:
        print(f"seeding {office_cases_wanted - have} cases for the office page ...", flush=True)
        await seed(office_cases_wanted - have)
        await settle()
    cases = await office_cases(dsn)
    await render_times(dashboard, head, 3)  # warm
    render = await render_times(dashboard, head, 60)
    ms = 1000.0
    return {
        "http_p50": percentile(plain, 50) * ms,
        "http_p99": percentile(plain, 99) * ms,
        "sse_p50": percentile(live, 50) * ms,
        "sse_p99": percentile(live, 99) * ms,
        "sse_received": float(len(live)),
        "sse_expected": float(connections * commands),
        "cases": float(cases),
        "render_p50": percentile(render, 50) * ms,
        "render_p99": percentile(render, 99) * ms,
    }
