"""What the IT officer runs a service by (issue 18, points 2-4), over a real PostgreSQL and
broker: `/health/live` and `/health/ready` (503 naming the failing check), `/metrics`,
and one access-log line per request, 401, 404 and 422 included, never a NIK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
import structlog
from fastapi import APIRouter, Query
from structlog.testing import capture_logs

from shared.auth import Staff
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore
from shared.logging import configure_logging
from shared.refusal import Refused
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

NIK = "3508123456780001"  # synthetic


async def _ignore(conn: asyncpg.Connection, env: EventEnvelope) -> None:
    return None


router = APIRouter()


@router.get("/v1/persons/{nik}")
async def person(nik: str, staff: Staff, q: Annotated[int, Query()] = 0) -> dict[str, Any]:
    if nik != NIK:
        raise Refused.not_found("person_not_found", "No such person.")
    return {"nik_seen": True, "by": staff.staff_id, "q": q}


def _app(settings: Settings) -> Any:
    runtime = ServiceRuntime(
        "notifications",
        migrations=None,
        handlers={"CaseAssigned": _ignore},
        settings=settings,
        catch_up_seconds=3600,  # only Kafka brings events here: the lag stays visible
    )
    app = create_service_app(runtime, title="ops test")
    app.include_router(router)
    return app


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(_app(settings)) as c:
        yield c


async def _ready(client: httpx.AsyncClient) -> httpx.Response | None:
    r = await client.get("/health/ready")
    return r if r.status_code == 200 else None


async def test_live_and_ready_answer_with_every_check(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    assert live.status_code == 200 and live.json() == {
        "service": "notifications",
        "status": "live",
    }
    ready = await eventually(lambda: _ready(client))
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "consumer", "outbox", "consumer_lag"}
    assert all(c["ok"] for c in body["checks"].values())
    assert body["checks"]["consumer_lag"]["events"] == 0
    # The old summary still answers as before (the launcher waits on it).
    old = await client.get("/health")
    assert old.status_code == 200 and old.json()["status"] == "ok"


async def test_not_ready_names_the_database_when_it_does_not_answer_in_time(
    settings: Settings,
) -> None:
    slow = settings.model_copy(update={"slrt_ready_db_timeout_seconds": 1e-9})
    async with running(_app(slow)) as client:
        r = await client.get("/health/ready")
        assert (await client.get("/health/live")).status_code == 200
    assert r.status_code == 503
    error = r.json()["error"]
    assert error["code"] == "not_ready"
    assert "database" in error["details"]["failing"]
    assert "database" in error["message"]


async def test_consumer_lag_over_its_limit_makes_the_service_not_ready_and_is_a_metric(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    strict = settings.model_copy(update={"slrt_ready_max_consumer_lag": 0})
    async with running(_app(strict)) as client:
        await eventually(lambda: _ready(client))
        # An event of a type it handles, in the store but never published (its writer
        # runs no relay): this service has not applied it.
        case_id = uuid4()
        event = CaseAssigned(
            case_id=case_id, assignee="sw-1", role=Role.SOCIAL_WORKER, assigned_by="t"
        )
        meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
        async with pool.acquire() as conn, conn.transaction():
            await EventStore(owner="ops-test").append(conn, f"case-{case_id}", 0, [event], meta)
        r = await client.get("/health/ready")
        scraped = (await client.get("/metrics")).text
    assert r.status_code == 503
    details = r.json()["error"]["details"]
    assert details["failing"] == ["consumer_lag"]
    assert details["checks"]["consumer_lag"]["events"] == 1
    assert 'slrt_consumer_lag_events{service="notifications"} 1.0' in scraped


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    headers = auth("lumajang", Role.FRONT_OFFICE)
    assert (await client.get(f"/v1/persons/{NIK}", headers=headers)).status_code == 200
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    line = next(
        x
        for x in r.text.splitlines()
        if x.startswith("slrt_http_request_duration_seconds_count{")
        and 'route="/v1/persons/{nik}"' in x
        and 'status="200"' in x
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
    assert NIK not in r.text  # the template, never the path sent
    assert "slrt_outbox_backlog_events" in r.text


@pytest.fixture
def info_logs() -> Iterator[None]:
    """The tests log at WARNING; the access line is INFO."""
    configure_logging("tests", level="INFO")
    try:
        yield
    finally:
        configure_logging("tests")


async def test_one_access_line_per_request_also_for_401_404_and_422(
    client: httpx.AsyncClient, info_logs: None
) -> None:
    headers = auth("lumajang", Role.FRONT_OFFICE, staff_id="desk-7")
    correlation = str(uuid4())
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
        ok = await client.get(
            f"/v1/persons/{NIK}?q=1",
            headers={**headers, "X-Correlation-ID": correlation},
        )
        unauthorised = await client.get(f"/v1/persons/{NIK}")
        missing = await client.get("/v1/persons/3508000000000009", headers=headers)
        invalid = await client.get(f"/v1/persons/{NIK}?q=not-a-number", headers=headers)
        nowhere = await client.get(f"/nothing/here/{NIK}")
    assert [r.status_code for r in (ok, unauthorised, missing, invalid, nowhere)] == [
        200,
        401,
        404,
        422,
        404,
    ]
    access = [x for x in lines if x["event"] == "http_request"]
    assert [(x["status"], x["route"]) for x in access] == [
        (200, "/v1/persons/{nik}"),
        (401, "/v1/persons/{nik}"),
        (404, "/v1/persons/{nik}"),
        (422, "/v1/persons/{nik}"),
        (404, "<unmatched>"),
    ]
    first = access[0]
    assert first["method"] == "GET" and first["staff_id"] == "desk-7"
    assert first["correlation_id"] == correlation
    assert isinstance(first["ms"], float)
    assert access[1]["staff_id"] is None  # no token presented
    for x in access:
        text = str(x)
        assert NIK not in text and "3508000000000009" not in text  # no NIK, not even in path
        assert "q=" not in text  # never a query string
