"""What sealing personal data costs at the door (crypto-shredding, issue 16 point 1).

The same closed loop of `--complaints` registrations from `--concurrency` callers through
intake's HTTP API (201 after the commit), twice in one run, each on a fresh stack of its
own (embedded PostgreSQL, broker, intake alone): once as it runs (every personal field
sealed with its person's data key, `SLRT_ENCRYPT_PERSONAL_DATA=true`) and once with
`SLRT_ENCRYPT_PERSONAL_DATA=false` (bench only; production refuses it), in the order
plain, sealed, sealed, plain (`--rounds 2`), each mode's rate the mean of its runs, so that
drift of a shared machine falls on both alike. Each run checks that the store holds sealed
values exactly when it should. Rows:
`intake_complaints_encrypted` (baseline: the plain rate, so its ratio is encrypted/plain)
and `intake_complaints_plain`. A short warm-up before each is not counted.

`python -m bench.personal [--complaints 2000] [--concurrency 16]` runs it alone; `make
bench` runs it after the rest (`--encryption-complaints`, 0 skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.http import Connection
from shared.auth import generate_key_pair, mint_token
from shared.contracts.vocab import Role
from shared.devstack import start_stack
from shared.settings import get_settings

WARM_UP = 100


def _row(name: str, value: float, unit: str, baseline: float | None) -> dict[str, Any]:
    ratio = (value / baseline) if baseline else None
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2) if baseline else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
    }


def registration(i: int) -> dict[str, Any]:
    """A walk-in KKS PIN reset by synthetic citizen `i` (name, NIK, phone: all sealed)."""
    return {
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": "walk_in",
        "applicant": {
            "name": f"Warga Bench {i}",
            "nik": f"3508010101{i % 1_000_000:06d}",
            "phone": f"0812{i:08d}",
        },
        "description": "Lupa PIN KKS (data uji bench)",
        "documents_declared": ["ktp", "kks"],
    }


async def closed_loop(url: str, first: int, n: int, concurrency: int) -> tuple[int, float, int]:
    """`n` registrations from `concurrency` callers: (accepted, seconds, refused)."""
    headers = {
        "Authorization": f"Bearer {mint_token('bench-desk', 'lumajang', [Role.FRONT_OFFICE])}"
    }
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(first, first + n):
        queue.put_nowait(i)
    accepted = refused = 0

    async def caller() -> None:
        nonlocal accepted, refused
        conn = await Connection.open(url)
        try:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                r = await conn.post_json("/v1/requests", registration(i), headers)
                if r.status == 201:
                    accepted += 1
                else:
                    refused += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return accepted, time.perf_counter() - started, refused


async def sealed_rows(dsn: str) -> int:
    """Events in the store with a sealed value (`enc:v1:`)."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM eventstore.events WHERE data::text LIKE '%enc:v1:%'"
            )
        )
    finally:
        await conn.close()


def measure(encrypt: bool, n: int, concurrency: int) -> tuple[float, int]:
    """Intake's registrations/s on a fresh stack with sealing on or off; refusals."""
    flag = "true" if encrypt else "false"
    with tempfile.TemporaryDirectory(prefix="slrt-bench-personal-") as tmp:
        stack = start_stack(
            Path(tmp),
            ephemeral=True,
            fixed_ports=False,
            log_dir=Path(tmp) / "logs",
            extra_env={
                "SLRT_LOG_FORMAT": "json",
                "SLRT_LOG_LEVEL": "WARNING",
                "SLRT_ENCRYPT_PERSONAL_DATA": flag,
            },
            services=("intake",),
        )
        try:
            url = stack.url("intake")
            asyncio.run(closed_loop(url, 900_000, WARM_UP, concurrency))
            accepted, seconds, refused = asyncio.run(closed_loop(url, 0, n, concurrency))
            sealed = asyncio.run(sealed_rows(stack.infra.database_url))
        finally:
            stack.stop()
    if bool(sealed) != encrypt:
        raise SystemExit(f"sealing {'on' if encrypt else 'off'} but {sealed} sealed events")
    print(
        f"   intake, personal data {'sealed' if encrypt else 'plain'}: "
        f"{accepted / seconds:.0f} registrations/s ({accepted} in {seconds:.1f} s)",
        flush=True,
    )
    return accepted / seconds, refused


def encryption_bench(n: int, concurrency: int, rounds: int = 2) -> list[dict[str, Any]]:
    """Both runs on stacks that share one staff-token key pair (this process mints)."""
    if not os.environ.get("SLRT_JWT_PUBLIC_KEY") and not os.environ.get("SLRT_JWT_PUBLIC_KEY_FILE"):
        private, public = generate_key_pair()
        os.environ["SLRT_JWT_PRIVATE_KEY"] = private
        os.environ["SLRT_JWT_PUBLIC_KEY"] = public
        get_settings.cache_clear()
    rates: dict[bool, list[float]] = {False: [], True: []}
    refused = 0
    for k in range(rounds):
        for encrypt in (False, True) if k % 2 == 0 else (True, False):
            rate, no = measure(encrypt, n, concurrency)
            rates[encrypt].append(rate)
            refused += no
    if refused:
        print(f"!! {refused} registrations refused")
    plain, sealed = statistics.mean(rates[False]), statistics.mean(rates[True])
    return [
        _row("intake_complaints_encrypted", sealed, "req/s", plain),
        _row("intake_complaints_plain", plain, "req/s", None),
    ]


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--complaints", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rounds", type=int, default=2, help="runs of each mode (ABBA order)")
    args = p.parse_args()
    os.environ.setdefault("SLRT_LOG_LEVEL", "WARNING")
    for r in encryption_bench(args.complaints, args.concurrency, args.rounds):
        print(f"{r['name']:32} {r['value']:>10} {r['unit']:6} ratio {r['ratio']}")


if __name__ == "__main__":
    main()
