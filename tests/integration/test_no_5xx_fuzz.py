"""schemathesis against every service's own OpenAPI (issue 16, point 10; it replaces
intake's own fuzz test), on the real
database and broker: whatever it generates, valid or not, with a staff token holding every
role of one office, no service answers with a 5xx.

Bounded in time: a few examples per operation and mode, and a budget per service
(`BUDGET_SECONDS`); the operations left when the budget is spent are counted, not run,
and the test says how many ran. The totals per service are printed (`-s` shows them).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode

from shared.contracts.vocab import Role
from shared.infra import free_port
from shared.settings import Settings
from tests.servicekit import auth, eventually

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 8
BUDGET_SECONDS = 60.0
# Every role: each operation is tried past its role check, where the state is.
STAFF = auth("lumajang", *Role, staff_id="fuzz-all")


@dataclass
class Totals:
    operations: int = 0
    skipped: int = 0  # operations left when the budget was spent
    requests: int = 0
    by_class: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def fuzz(
    spec: dict[str, Any],
    base_url: str,
    budget: float,
    headers: dict[str, str] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Totals:
    """Every operation in both modes until the budget is spent; the 5xx answers kept.
    `headers`: the caller's (a staff token with every role by default); `skip`: paths
    not fuzzed (each with its reason where it is given)."""
    headers = STAFF if headers is None else headers
    schema = schemathesis.openapi.from_dict(spec)
    totals = Totals()
    session = requests.Session()
    deadline = time.monotonic() + budget
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the spec itself is broken: say where
            raise result.err()
        if time.monotonic() > deadline:
            totals.skipped += 1
            continue
        operation = result.ok()
        if operation.path in skip:
            continue
        totals.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=strategy)
            def run(case: Any) -> None:
                response = case.call(
                    base_url=base_url, session=session, headers=headers, timeout=30
                )
                totals.requests += 1
                kind = f"{response.status_code // 100}xx"
                totals.by_class[kind] = totals.by_class.get(kind, 0) + 1
                if response.status_code >= 500:
                    totals.failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"{response.text[:300]}"
                    )

            # Unsatisfiable: nothing to make invalid (an operation without parameters).
            with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                run()
    return totals


async def serve_and_fuzz(
    app: FastAPI,
    budget: float = BUDGET_SECONDS,
    *,
    sign_in: Callable[[str], Awaitable[dict[str, str]]] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Totals:
    """Serve `app` on a free port and fuzz it; `sign_in(base_url)` gives the caller's
    headers once the app is up (a staff token with every role by default)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started)
        base_url = f"http://127.0.0.1:{port}"
        headers = await sign_in(base_url) if sign_in is not None else None
        return await asyncio.to_thread(fuzz, app.openapi(), base_url, budget, headers, skip)
    finally:
        server.should_exit = True
        await task


def _app(name: str) -> Callable[[Settings], FastAPI]:
    def make(settings: Settings) -> FastAPI:
        module = __import__(f"services.{name}.bootstrap", fromlist=["create_app"])
        app: FastAPI = module.create_app(settings)
        return app

    return make


@pytest.mark.parametrize(
    "service", ["intake", "eligibility", "documents", "casework", "notifications"]
)
async def test_no_generated_request_makes_a_service_fail(service: str, settings: Settings) -> None:
    totals = await serve_and_fuzz(_app(service)(settings))
    print(
        f"\nschemathesis {service}: {totals.operations} operations run "
        f"({totals.skipped} past the budget), {totals.requests} requests, {totals.by_class}"
    )
    assert totals.failures == [], "\n".join(totals.failures[:20])
    assert totals.operations >= 5 and totals.requests >= 50
    assert totals.by_class.get("4xx", 0) > 0  # refusals were made, not only one kind
    if service == "intake":  # its whole API, channels included; accepted requests too
        assert totals.operations >= 15 and totals.by_class.get("2xx", 0) >= 20
