"""Backlog drain of one real service: eligibility or notifications, on its own.

`python -m bench.drain_service eligibility --events 20000` appends that many
`ComplaintRegistered` as intake appends them (the bench's registration: a walk-in KKS
request at Lumajang with a synthetic NIK, so most are not listed; `--mixed` cycles through
every kind of check instead), publishes them with intake's outbox relay (a standing
backlog on the topic), then starts the service's own runtime (`services.<name>.bootstrap`)
with its store catch-up skipped, and times it until its `processed_events` holds them all:
the figure `make bench`'s `drain_<service>` row measures, for one service at a time, on
the embedded stack (or DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS through SLRT_INFRA).

`--profile out.html` runs the drain under pyinstrument (in-process: the service is the
only thing this process does meanwhile, besides counting every 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from bench.drain import publish_all, skip_store_catch_up
from bench.scratch import fresh_casework, run_on_infra
from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.streams import complaint_stream
from shared.contracts.vocab import Channel
from shared.db import create_pool
from shared.eventstore.store import Append, EventStore
from shared.infra import Infra
from shared.logging import configure_logging
from shared.runtime import migrate_service
from shared.settings import Settings

# (office, service, applicant NIK, cardholder NIK): every path of eligibility's check, with
# the demo registry loaded (services/eligibility/fixtures/demo_registry.csv).
MIXED: list[tuple[str, str, str | None, str | None]] = [
    ("mataram", "sembako-complaint", "5271011505800001", None),
    ("mataram", "sembako-complaint", None, None),
    ("mataram", "sembako-complaint", "5271013501800001", None),
    ("mataram", "sembako-complaint", "5271011505800009", None),
    ("mataram", "sembako-complaint", "5271041212900001", None),
    ("mataram", "sembako-complaint", "3508011203750001", "1377012504820001"),
    ("pariaman", "dtks-certificate", "1377034112000001", None),
    ("mataram", "lk3-consultation", "1377012504820001", None),
    ("mataram", "lk3-consultation", "5271019999990001", None),
    ("mataram", "lk3-consultation", "5271012202020002", None),
    ("kupang", "public-complaint", "5371011010700001", None),
    ("lumajang", "kks-recommendation", "3508011203750001", None),
    ("lumajang", "kks-recommendation", None, None),
]


def registration(i: int, *, mixed: bool) -> tuple[ComplaintRegistered, EventMetadata]:
    case_id = uuid4()
    if mixed:
        office, service, nik, proxy = MIXED[i % len(MIXED)]
    else:  # the bench's (bench/__main__.py `complaint`)
        office, service, nik, proxy = "lumajang", "kks-recommendation", _nik(i), None
    event = ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"{office[:3].upper()}-2026-{i:06d}",
        office=office,
        service=service,
        variant="reset-pin" if service == "kks-recommendation" else None,
        channel=Channel.WALK_IN,
        applicant=Applicant(name=f"Warga Bench {i}", nik=nik, phone=f"+62812{i:08d}"),
        on_behalf_of=Applicant(name="Pemegang Kartu", nik=proxy) if proxy else None,
        description="Lupa PIN KKS (data uji bench)",
        documents_declared=("ktp", "kks"),
        received_at=datetime.now(UTC),
        citizen_id=uuid4(),
    )
    meta = EventMetadata(
        case_id=case_id, office=office, actor="staff:bench-desk", channel=Channel.WALK_IN
    )
    return event, meta


def _nik(i: int) -> str:
    return f"350801010190{i % 10000:04d}"


async def make_registrations(
    settings: Settings, pool: asyncpg.Pool, n: int, *, mixed: bool, per_transaction: int = 200
) -> None:
    """`n` registrations appended as intake appends them, all published to the topic."""
    store = EventStore(owner="intake")
    for start in range(0, n, per_transaction):
        appends = []
        for i in range(start, min(n, start + per_transaction)):
            event, meta = registration(i, mixed=mixed)
            appends.append(Append(complaint_stream(event.case_id), 0, [event], meta))
        async with pool.acquire() as conn, conn.transaction():
            await store.append_many(conn, appends)
    await publish_all(settings, pool, "intake")


class _NoDueDates:
    async def due_date_of(self, case_id: UUID, office: str) -> date | None:
        return None


def service_runtime(name: str, settings: Settings) -> Any:
    if name == "eligibility":
        from services.eligibility.bootstrap import create_app

        app = create_app(settings, demo_data=True)
    else:
        from services.notifications.bootstrap import create_app as create_notifications

        app = create_notifications(settings, due_dates=_NoDueDates())
    runtime = app.state.runtime
    runtime.catch_up_seconds = 3600.0  # only the broker brings the backlog
    return runtime


async def prepare(name: str, settings: Settings, dsn: str) -> None:
    runtime = service_runtime(name, settings)
    await migrate_service(dsn, name, runtime.migrations, runtime.catalogue)
    if name == "eligibility":
        from services.eligibility.service_layer.load_demo_registry import load_demo_registry

        conn = await asyncpg.connect(dsn)
        try:
            await load_demo_registry(conn, only_if_empty=True)
        finally:
            await conn.close()


async def _drain(
    runtime: Any, pool: asyncpg.Pool, name: str, target: int, *, timeout: float = 600.0
) -> tuple[float, float]:
    """Start `runtime`, sample its processed events every 50 ms until it has `target`;
    events per second from the last sample before it moved to the first with them all (as
    `make bench`'s DrainWatch), and the wait before it moved (joining the group)."""
    started = time.perf_counter()
    await runtime.start()
    try:
        began: float | None = None
        while (done := await _processed(pool, name)) < target:
            now = time.perf_counter()
            if done == 0:
                began = now
            if now - started > timeout:
                raise TimeoutError(f"drained {done} of {target} in {timeout} s")
            await asyncio.sleep(0.05)
        ended = time.perf_counter()
    finally:
        await runtime.stop()
    began = began or started
    return target / (ended - began), began - started


def _write_profile(profiler: Any, path: Path | None) -> None:
    assert path is not None
    path.write_text(profiler.output_html())
    Path(f"{path}.txt").write_text(profiler.output_text(unicode=False, color=False))


async def _processed(pool: asyncpg.Pool, schema: str) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(f'SELECT count(*) FROM "{schema}".processed_events'))


async def measure(
    infra: Infra, name: str, events: int, *, mixed: bool, profile: Path | None
) -> float:
    settings, dsn = await fresh_casework(infra, f"drain_{name}")
    pool = await create_pool(dsn, max_size=4)
    try:
        t0 = time.perf_counter()
        await make_registrations(settings, pool, events, mixed=mixed)
        print(f"backlog: {events} registrations in {time.perf_counter() - t0:.1f} s", flush=True)
        # Its schema (and the demo registry), then its checkpoint at the head of the store.
        await prepare(name, settings, dsn)
        await skip_store_catch_up(pool, name)
        runtime = service_runtime(name, settings)
        profiler = None
        if profile is not None:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled", interval=0.0005)
            profiler.start()
        try:
            rate, lag = await _drain(runtime, pool, name, events)
        finally:
            if profiler is not None:
                profiler.stop()
                _write_profile(profiler, profile)
        print(
            f"drain_{name}: {rate:.0f} events/s ({events} events; {lag:.1f} s to the first,"
            " not counted)",
            flush=True,
        )
        return rate
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("service", choices=["eligibility", "notifications"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--mixed", action="store_true", help="every kind of check, not one")
    parser.add_argument("--profile", type=Path, default=None, help="pyinstrument HTML here")
    args = parser.parse_args()
    configure_logging("bench", level="warning")
    run_on_infra(
        f"slrt-drain-{args.service}-",
        lambda infra: _run(infra, args),
    )


async def _run(infra: Infra, args: argparse.Namespace) -> None:
    await measure(infra, args.service, args.events, mixed=args.mixed, profile=args.profile)


if __name__ == "__main__":
    main()
