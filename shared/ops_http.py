"""What every process answers to the people who run it: `/health/live`, `/health/ready`,
`/metrics` and `/asyncapi.json`.

* `/health/live`: the process answers (the event loop runs). Restart it if not.
* `/health/ready`: it can do its work now (`shared.health`: database, consumer, outbox
  backlog, consumer lag); 503 naming the failing checks if not. Send it no traffic then.
* `/metrics`: Prometheus' text format (`shared.metrics`); the database gauges are read at
  each scrape, under the readiness timeout.
* `/asyncapi.json`: the AsyncAPI document of every topic and event (`shared.asyncapi`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from shared import asyncapi, metrics
from shared.health import Readiness
from shared.http import error_body
from shared.logging import get_logger

log = get_logger(__name__)


class HealthSummary(BaseModel):
    service: str
    status: str = Field(
        description="`ok`, or `degraded` while the broker is unreachable or recovering."
    )
    topics: list[str] = Field(default_factory=list, description="Topics it consumes.")
    consuming: bool = Field(default=True, description="Its consumer has joined its group.")
    kafka: str = Field(
        default="ok", description="What the broker watch last saw: ok, unreachable, recovering."
    )


class Live(BaseModel):
    service: str
    status: str = Field(description="`live`.")


class Ready(BaseModel):
    service: str
    status: str = Field(description="`ready`.")
    checks: dict[str, dict[str, Any]] = Field(
        description="Each check (`database`, `consumer`, `outbox`, `consumer_lag`) with `ok` "
        "and what was measured against which limit."
    )


@lru_cache(maxsize=1)
def _asyncapi_document() -> dict[str, Any]:
    return asyncapi.build()


def install_ops_routes(
    app: FastAPI, *, service: str, readiness: Callable[[], Awaitable[Readiness]]
) -> None:
    # Probes and scrapes are for the platform, not API clients: documented here and in
    # deploy/README.md, kept out of the OpenAPI document (a fuzzer would call a 503 a bug).
    @app.get("/health/live", response_model=Live, include_in_schema=False)
    async def live() -> dict[str, Any]:
        """The process answers."""
        return {"service": service, "status": "live"}

    @app.get("/health/ready", response_model=Ready, include_in_schema=False)
    async def ready() -> Any:
        """Ready for work: database reachable, consumer joined, outbox backlog and consumer
        lag under their limits (settings `SLRT_READY_*`)."""
        result = await readiness()
        metrics.readiness(service, result.checks)
        if result.ready:
            return {"service": service, "status": "ready", "checks": result.checks}
        failing = result.failing
        log.warning("not_ready", failing=failing)
        return JSONResponse(
            error_body(
                "not_ready",
                f"{service} is not ready: {', '.join(failing)}.",
                {"service": service, "failing": failing, "checks": result.checks},
            ),
            status_code=503,
        )

    @app.get("/metrics", response_class=Response, include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """Prometheus metrics of this process (HTTP latency by route, events applied and
        dead-lettered, consumer lag, outbox backlog and age, relay latency, …)."""
        try:
            # Sets the database gauges; a failure leaves the last values.
            metrics.readiness(service, (await readiness()).checks)
        except Exception as exc:
            log.warning("metrics_store_read_failed", error=repr(exc))
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @app.get("/asyncapi.json", tags=["ops"], response_model=dict[str, Any])
    async def asyncapi_document() -> dict[str, Any]:
        """The AsyncAPI document of every Kafka topic and event (`docs/asyncapi.json`)."""
        return _asyncapi_document()
