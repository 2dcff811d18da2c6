"""Log context per request and per step (issue 12, point 9): nothing bound before leaks in,
nothing bound inside leaks out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI

from shared.http import install_request_context
from shared.logging import bind_context, fresh_log_context, log_scope


def _bound() -> dict[str, Any]:
    return dict(structlog.contextvars.get_contextvars())


@pytest.fixture(autouse=True)
def _clean() -> Any:
    bind_context()
    yield
    bind_context()


async def test_a_request_sees_only_its_own_context_and_leaves_the_callers() -> None:
    app = FastAPI()
    install_request_context(app)
    seen: list[dict[str, Any]] = []

    @app.get("/cases/{case_id}")
    async def read(case_id: str) -> dict[str, str]:
        seen.append(_bound())
        bind_context(case_id=case_id)  # as the services' dependencies do
        return {}

    bind_context(case_id="stale-case")
    transport = httpx.ASGITransport(app=app)  # the app runs in this very task
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/cases/first")
        await c.get("/cases/second", headers={"X-Correlation-ID": "not-a-uuid"})
    assert [s.get("case_id") for s in seen] == [None, None]
    assert all(s["correlation_id"] and s["path"].startswith("/cases/") for s in seen)
    assert seen[0]["correlation_id"] != seen[1]["correlation_id"]
    assert _bound()["case_id"] == "stale-case"  # the caller's context is back


async def test_fresh_log_context_clears_before_and_restores_after() -> None:
    structlog.contextvars.bind_contextvars(service="svc")
    inside: list[dict[str, Any]] = []

    @fresh_log_context
    async def step(n: int) -> int:
        inside.append(_bound())
        bind_context(case_id=f"case-{n}")
        return n

    bind_context(loop="relay")
    assert [await step(1), await step(2)] == [1, 2]
    assert inside == [{"service": "svc"}, {"service": "svc"}]
    assert _bound() == {"service": "svc", "loop": "relay"}


def test_log_scope_keeps_the_context_on_error_only_when_asked() -> None:
    bind_context(loop="x")
    with pytest.raises(RuntimeError), log_scope(correlation_id="c1"):
        raise RuntimeError
    assert _bound().get("loop") == "x"
    with pytest.raises(RuntimeError), log_scope(keep_on_error=True, correlation_id="c2"):
        raise RuntimeError
    assert _bound().get("correlation_id") == "c2"  # for the error handler further out
