"""schemathesis against intake's own OpenAPI, on the real database and broker: whatever
it generates, valid or not, intake answers with something other than a 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode

from services.intake.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.servicekit import auth, eventually

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 25
STAFF = auth("lumajang", Role.FRONT_OFFICE, Role.RECEPTIONIST, Role.ADMIN, staff_id="fuzz-01")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fuzz(spec: dict[str, Any], base_url: str, statuses: list[int]) -> list[str]:
    """Run every operation in both modes; return the 5xx answers as readable lines."""
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    session = requests.Session()
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the spec itself is broken: say where
            raise result.err()
        operation = result.ok()
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
                response = case.call(base_url=base_url, session=session, headers=STAFF, timeout=30)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"{response.text[:300]}"
                    )

            # Unsatisfiable: nothing to make invalid (an operation without parameters).
            with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                run()
    return failures


async def test_no_generated_request_makes_intake_fail(settings: Settings) -> None:
    port = _free_port()
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started)
        spec = app.openapi()
        statuses: list[int] = []
        failures = await asyncio.to_thread(_fuzz, spec, f"http://127.0.0.1:{port}", statuses)
    finally:
        server.should_exit = True
        await task
    assert failures == [], "\n".join(failures[:20])
    assert len(spec["paths"]) >= 15  # the whole API was exercised, channels included
    # Both accepted and refused requests were made, not only one kind.
    assert sum(200 <= c < 300 for c in statuses) >= 20
    assert sum(400 <= c < 500 for c in statuses) >= 100
