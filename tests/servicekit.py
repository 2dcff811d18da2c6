"""Run one service in-process against the real database and broker, for integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from shared.auth import mint_token
from shared.contracts.vocab import Role
from shared.settings import Settings


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the service's runtime (migrations, relay, consumer) and give an HTTP client."""
    # The app's own lifespan: the runtime plus whatever the service adds (intake's SMTP).
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def auth(
    office: str, *roles: Role, staff_id: str = "tester", settings: Settings | None = None
) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(staff_id, office, roles, settings=settings)}"}


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


# ---- `/metrics`, as Prometheus reads it --------------------------------------------------


def scrape(client: httpx.Client, url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Each sample name of `/metrics` with its (labels, value) pairs."""
    r = client.get(f"{url}/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), float(s.value)))
    return out


def total(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    return sum(
        v
        for got, v in samples.get(name, [])
        if all(got.get(k) == want for k, want in labels.items())
    )
