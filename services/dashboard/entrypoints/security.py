"""Headers on every answer of the staff app: no framing, no sniffing, scripts and styles
from this app only (htmx is served from /static; no inline script anywhere, so even an
escaping mistake could not run a citizen's `<script>`)."""

from __future__ import annotations

from typing import Any

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
# A signed letter's PDF (`/surat/<id>.pdf`) is previewed in a frame of the case page: it
# may be framed by this app only, and gets no other policy (Chromium's PDF viewer would
# not draw under `object-src 'none'`). It is bytes from documents, never markup of ours.
PDF_HEADERS = [
    (b"content-security-policy", b"frame-ancestors 'self'"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
# The monthly report (`/kantor/laporan`) is the same self-contained HTML page `slrt report`
# writes, with its styles inline: styles may be inline there, scripts still may not. It
# shows aggregate figures only (no citizen's text), so an inline style has nothing to abuse.
REPORT_HEADERS = [
    (
        b"content-security-policy",
        CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").encode(),
    ),
    *HEADERS[1:],
]


def _headers(path: str) -> list[tuple[bytes, bytes]]:
    if _is_pdf(path):
        return PDF_HEADERS
    return REPORT_HEADERS if path == "/kantor/laporan" else HEADERS


def _is_pdf(path: str) -> bool:
    return path.startswith("/surat/") and path.endswith(".pdf")


class SecurityHeaders:
    """Plain ASGI (no task per request, which matters with hundreds of open streams)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        dynamic = not scope["path"].startswith("/static/")
        extra = _headers(scope["path"])

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *extra]
                if dynamic:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
