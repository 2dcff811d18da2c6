"""The door of every service's HTTP API: no byte of a request body is read before the
caller is let in, and no body FastAPI parses is read past its limit.

FastAPI reads and parses a route's JSON body before it solves any dependency, so a route
declaring `staff: Staff` and a body model would take (and parse) a megabyte from a caller
without a token before answering 401. `BodyDoor` (plain ASGI, installed by
`shared.runtime.create_service_app`) waits for the moment the body is first pulled: the
route is known by then (FastAPI leaves it in the scope), and before the first chunk is
handed over the door runs the route's *header gates*, the dependencies that need nothing
but headers:

* `shared.auth.current_staff`: a valid staff bearer token (401 `token_missing`,
  `token_invalid`, `token_expired`);
* `shared.auth.StaffRoles(...)`: one of the roles the route needs (403 `wrong_role`),
  for a route that declares them as a dependency (where its roles do not depend on the
  case: the office is checked after, with the case);
* `shared.internal_api.require_internal_key`: the services' shared key (401).

Then the body is bounded while it streams: a declared `Content-Length` over the limit is
refused (413 `payload_too_large`) before a byte is read, a chunked body as soon as the
bytes received pass it. The limit applies to the bodies FastAPI parses (a JSON model, a
form); a route that reads its own body (`request.stream()`: the channel webhooks, which
keep what was cut off; uploads and extracts, through `shared.body_limit.limited`) bounds it
itself, with its own limit and its own way of keeping what was sent (in the staff web
app, whose pages read their forms themselves, the door bounds those too:
`own_reads_max_bytes`).

FastAPI's own `max_body_size` (Starlette's `RequestBodyLimitMiddleware`) bounds a body
too, but answers a declared over-long body with a plain-text 413 in place of whatever the
route said (a 401 included), and checks no caller: the door does both, in the house's
error shape.

The door answers itself, with the app's own answer to a `Refused` (`shared.http`'s error
shape; a page in the staff web app), and whatever the route does after
that (FastAPI turns the interrupted read into an error of its own) is not sent.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import StaffIdentity, StaffRoles, authorize, current_staff, verify_token
from shared.body_limit import payload_too_large
from shared.http import error_body
from shared.internal_api import HEADER as INTERNAL_HEADER
from shared.internal_api import require_internal_key
from shared.refusal import Refused

# The limit of a body FastAPI parses: as large as intake's own limit for what staff send.
JSON_BODY_MAX_BYTES = 1024 * 1024

# A header gate: given the request (its headers only), refuse or let in.
Gate = Callable[[Request], object]


def _staff(request: Request) -> StaffIdentity:
    """As `current_staff` (and its `HTTPBearer`) reads the Authorization header."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if not token or scheme.lower() != "bearer":
        raise Refused("token_missing", "A staff bearer token is required.", status=401)
    staff = verify_token(token)
    request.state.staff = staff
    return staff


def _gate_for(call: Any) -> Gate | None:
    if call is current_staff:
        return _staff
    if isinstance(call, StaffRoles):
        roles = call.roles
        return lambda request: authorize(_staff(request), roles=roles)
    if call is require_internal_key:
        return lambda request: require_internal_key(request.headers.get(INTERNAL_HEADER))
    return None


def _walk(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _walk(sub)


async def _response(scope: Scope, refusal: Refused) -> Response:
    """The app's own answer to a refusal (`shared.http`'s error shape; a page in the
    staff web app), as if the route had raised it."""
    handler = getattr(scope.get("app"), "exception_handlers", {}).get(Refused)
    if handler is not None:
        answer = handler(Request(scope), refusal)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, Response):
            return answer
    return JSONResponse(
        error_body(refusal.code, refusal.message, refusal.details or None),
        status_code=refusal.status,
    )


class _Answered(Exception):
    """The door has answered; what the app does after that is not sent."""


class BodyDoor:
    """`max_bytes`: the limit of a body FastAPI parses. `own_reads_max_bytes`: the limit
    of a body a route reads itself; None (the APIs) where each such route bounds its own."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = JSON_BODY_MAX_BYTES,
        own_reads_max_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_reads_max_bytes = own_reads_max_bytes
        self._routes: dict[int, tuple[list[Gate], int | None]] = {}

    def _route(self, route: Any) -> tuple[list[Gate], int | None]:
        """The route's header gates, in the order FastAPI runs them, and the limit the
        door holds its body to (None: the route bounds it itself)."""
        known = self._routes.get(id(route))
        if known is None:
            dependant = getattr(route, "dependant", None)
            gates: list[Gate] = []
            if isinstance(dependant, Dependant):
                seen: set[int] = set()
                for call in _walk(dependant):
                    gate = _gate_for(call)
                    if gate is not None and id(call) not in seen:
                        seen.add(id(call))
                        gates.append(gate)
            parsed = getattr(route, "body_field", None) is not None
            known = (gates, self.max_bytes if parsed else self.own_reads_max_bytes)
            self._routes[id(route)] = known
        return known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = False
        opened = False
        received = 0
        limit: int | None = None

        async def answer(refusal: Refused) -> None:
            nonlocal answered
            answered = True
            response = await _response(scope, refusal)
            await response(scope, receive, send)
            raise _Answered

        async def open_door() -> None:
            nonlocal limit
            gates, limit = self._route(scope.get("route"))
            request = Request(scope)
            try:
                for gate in gates:
                    gate(request)
                declared = request.headers.get("content-length", "")
                if limit is not None and declared.isdigit() and int(declared) > limit:
                    raise payload_too_large(int(declared), limit)
            except Refused as refusal:
                await answer(refusal)

        async def guarded_receive() -> Message:
            nonlocal opened, received
            if answered:
                raise _Answered
            if not opened:
                opened = True
                await open_door()
            message = await receive()
            if limit is not None and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    await answer(payload_too_large(received, limit))
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except _Answered:
            pass
        except Exception:
            if not answered:
                raise
