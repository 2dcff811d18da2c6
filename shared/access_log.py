"""One line per HTTP request, and its latency for `/metrics`.

The line (`http_request`) carries the method, the route *template* (`/v1/cases/{case_id}`,
never the path the client sent: a path may hold a NIK), the status, the duration in
milliseconds, the staff id when a valid token was presented (`shared.auth.current_staff`
leaves it on the request), and the correlation id bound by `shared.http.RequestContext`.
Never a body, never a query string. 401, 404, 422 and 500 answers get their line too.

Plain ASGI, like `RequestContext`: Starlette's BaseHTTPMiddleware would cost a task and a
stream per request. It runs inside `RequestContext`, so the request's log context (its
correlation id) is bound when the line is written.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

from starlette.routing import Match

from shared import metrics
from shared.logging import get_logger

LOGGER = "shared.access"

UNMATCHED = "<unmatched>"
# Probes and scrapes come every few seconds: their successful answers are counted, not
# logged (a failing one is).
QUIET = frozenset({"/health", "/health/live", "/health/ready", "/metrics"})


def route_template(scope: Any, routes: Sequence[Any] = ()) -> str:
    """The matched route's path template (with a mount's prefix), or `<unmatched>`.
    FastAPI leaves the matched route in the scope for its own routes; for the others (the
    OpenAPI document, the docs pages, static mounts) `routes` are matched again here."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    regex = getattr(route, "path_regex", None)
    raw = scope.get("path", "")
    if isinstance(path, str) and regex is not None and not regex.match(raw):
        # A route of an included router knows its path without the router's prefix: the
        # prefix is what comes before the part of the path the route matches.
        for i, char in enumerate(raw):
            if char == "/" and i and regex.match(raw[i:]):
                path = raw[:i] + path
                break
    if not isinstance(path, str):
        for candidate in routes:
            with contextlib.suppress(Exception):
                if candidate.matches(dict(scope))[0] is Match.FULL:
                    path = candidate.path
                    break
    if not isinstance(path, str) or not path:
        return UNMATCHED
    return f"{scope.get('root_path', '')}{path}"


def staff_id(scope: Any) -> str | None:
    staff = (scope.get("state") or {}).get("staff")
    value = getattr(staff, "staff_id", None)
    return value if isinstance(value, str) else None


class AccessLog:
    def __init__(
        self, app: Any, *, service: str, enabled: bool = True, routes: Sequence[Any] = ()
    ) -> None:
        self.app = app
        self.service = service
        self.enabled = enabled
        self.routes = routes  # the app's own list: routes added later are seen too

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if nothing is sent (an unhandled error)
        done = False

        def record() -> None:
            nonlocal done
            done = True
            seconds = time.perf_counter() - started
            route = route_template(scope, self.routes)
            method = scope.get("method", "")
            metrics.http_request(self.service, method, route, status, seconds)
            if self.enabled and not (status < 400 and route in QUIET):
                # Looked up per line: a level set after the first request (tests) holds.
                get_logger(LOGGER).info(
                    "http_request",
                    method=method,
                    route=route,
                    status=status,
                    ms=round(seconds * 1000, 2),
                    staff_id=staff_id(scope),
                )

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Before the last byte goes out: a client that reads the answer and asks
                # `/metrics` next finds this request counted.
                record()
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            if not done:
                record()
