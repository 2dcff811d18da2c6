"""Issue 18, points 2-4, over the real processes: a complaint goes through, then every
process is scraped (`/metrics` shows non-zero counters: requests by route, events applied,
the relay's publications), is live and ready, and wrote one access line per request, a
refused one included, with no NIK."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from shared.contracts.vocab import Role
from shared.devstack import PROCESSES, Stack
from tests.e2e.test_slices import case_view, h, wait_for
from tests.servicekit import scrape, total

pytestmark = pytest.mark.e2e

NIK = "3508014101900127"  # synthetic, Lumajang
CONSUMERS = ("eligibility", "documents", "casework", "notifications")


def _register(c: httpx.Client, stack: Stack) -> str:
    r = c.post(
        f"{stack.url('intake')}/v1/requests",
        headers=h("lumajang", Role.FRONT_OFFICE),
        json={
            "office": "lumajang",
            "service": "kks-recommendation",
            "variant": "reset-pin",
            "channel": "walk_in",
            "applicant": {"name": "Warga Contoh Metrik", "nik": NIK},
        },
    )
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    wait_for(lambda: case_view(c, stack, case_id, "lumajang"), what="the case in casework")
    return case_id


def _applied(c: httpx.Client, stack: Stack, service: str) -> float:
    return total(
        scrape(c, stack.url(service)),
        "slrt_events_applied_total",
        service=service,
        event_type="ComplaintRegistered",
    )


def test_every_process_is_scraped_with_non_zero_counters(stack: Stack) -> None:
    with httpx.Client(timeout=10) as c:
        _register(c, stack)
        for service in CONSUMERS:
            wait_for(lambda s=service: _applied(c, stack, s) >= 1, what=f"{service} applied it")
        for service in PROCESSES:
            url = stack.url(service)
            assert c.get(f"{url}/health/live").status_code == 200
            ready = wait_for(
                lambda u=url: (r := c.get(f"{u}/health/ready")).status_code == 200 and r,
                what=f"{service} ready",
            )
            assert all(check["ok"] for check in ready.json()["checks"].values())
            c.get(f"{url}/openapi.json")  # at least one request of its own, by route
            m = scrape(c, url)
            requests = total(m, "slrt_http_request_duration_seconds_count", service=service)
            assert requests >= 1, service
            assert total(m, "slrt_http_request_duration_seconds_count", route="/openapi.json") >= 1
            if service in CONSUMERS:
                assert total(m, "slrt_kafka_received_messages_total") >= 1, service
                lag = total(m, "slrt_consumer_lag_events", service=service)
                assert lag >= 0 and "slrt_consumer_lag_oldest_seconds" in m
            if service != "portal":
                assert "slrt_outbox_backlog_events" in m and "slrt_outbox_oldest_age_seconds" in m
        intake = scrape(c, stack.url("intake"))
    assert total(intake, "slrt_outbox_published_events_total", service="intake") >= 1
    assert total(intake, "slrt_outbox_publish_delay_seconds_count", service="intake") >= 1
    registered = total(
        intake, "slrt_http_request_duration_seconds_count", route="/v1/requests", status="201"
    )
    assert registered >= 1


def _access_lines(stack: Stack, service: str) -> list[dict[str, Any]]:
    assert stack.log_dir is not None
    lines = (stack.log_dir / f"{service}.log").read_text(errors="replace").splitlines()
    parsed = [orjson.loads(x) for x in lines if x.startswith("{")]
    return [x for x in parsed if x.get("event") == "http_request"]


def test_every_request_leaves_one_access_line_refusals_too(stack: Stack) -> None:
    url = stack.url("eligibility")
    staff = h("lumajang", Role.FRONT_OFFICE, staff="desk-metrics")
    marker = "c0ffee00-0000-4000-8000-00000000e2e0"
    with httpx.Client(timeout=10) as c:
        sent = [
            c.get(f"{url}/v1/registry/persons/{NIK}", headers={"X-Correlation-ID": marker}),
            c.get(
                f"{url}/v1/registry/persons/{NIK}",
                headers={**staff, "X-Correlation-ID": marker},
            ),
            c.get(
                f"{url}/v1/cases/not-a-uuid/eligibility",
                headers={**staff, "X-Correlation-ID": marker},
            ),
            c.get(f"{url}/no/such/page?nik={NIK}", headers={"X-Correlation-ID": marker}),
        ]
    statuses = [r.status_code for r in sent]
    assert statuses[0] == 401 and statuses[2] == 422 and statuses[3] == 404, statuses

    def mine() -> list[dict[str, Any]]:
        return [x for x in _access_lines(stack, "eligibility") if x.get("correlation_id") == marker]

    lines = wait_for(lambda: len(mine()) == 4 and mine(), what="four access lines")
    assert [x["status"] for x in lines] == statuses
    assert [x["route"] for x in lines] == [
        "/v1/registry/persons/{nik}",
        "/v1/registry/persons/{nik}",
        "/v1/cases/{case_id}/eligibility",
        "<unmatched>",
    ]
    assert lines[0]["staff_id"] is None and lines[1]["staff_id"] == "desk-metrics"
    for x in lines:
        assert x["method"] == "GET" and x["ms"] >= 0 and x["service"] == "eligibility"
        assert NIK not in orjson.dumps(x).decode()  # not the path, not the query string
