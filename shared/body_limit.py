"""A request body limited while it streams: never buffered or spooled past the limit.

FastAPI reads (and spools to disk) a multipart body before any dependency runs, so a
route with `Form`/`File` parameters would take a 100 MiB upload from a caller without a
token before answering 401. The upload routes therefore declare no body parameters: the
staff token and the role are checked first (dependencies and the route's own checks),
then the body is read through `limited(request, max_bytes)`, which refuses a declared
`Content-Length` over the limit before reading a byte, and a chunked body as soon as the
bytes received pass it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import Message

from shared.refusal import Refused


def payload_too_large(size: int, limit: int) -> Refused:
    return Refused(
        "payload_too_large",
        f"The body is larger than {limit} bytes.",
        status=413,
        details={"max_bytes": limit, "size_at_least": size},
    )


def limited(
    request: Request,
    max_bytes: int,
    refuse: Callable[[int, int], Refused] = payload_too_large,
) -> Request:
    """The same request, its body refused (`refuse(size, max_bytes)`, a 413) past
    `max_bytes` while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise refuse(int(declared), max_bytes)
    received = 0
    upstream = request.receive

    async def receive() -> Message:
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise refuse(received, max_bytes)
        return message

    return Request(request.scope, receive)
