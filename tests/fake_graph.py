"""A local HTTP server that speaks the WhatsApp Cloud API's media shapes, for tests.

`GET /<version>/<media id>` (with the app's bearer token) answers
`{"messaging_product": "whatsapp", "url", "mime_type", "sha256", "file_size", "id"}`;
`GET /download/<media id>` (same token) answers the bytes. Tests add media with `add`,
and may make the lookup fail a few times first (`fail_first`) to exercise retries.
The standard library's threading HTTP server: real sockets, nothing to install.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

VERSION = "v21.0"
TOKEN = "test-whatsapp-token"


@dataclass
class FakeGraph:
    token: str = TOKEN
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def add(self, media_id: str, content: bytes, mime_type: str) -> str:
        """Serve `content` as `media_id`; its SHA-256 (hex)."""
        self.media[media_id] = (content, mime_type)
        return hashlib.sha256(content).hexdigest()

    def fail_first(self, media_id: str, *statuses: int) -> None:
        self.failures[media_id] = list(statuses)

    def start(self) -> FakeGraph:
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet
                return

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, message: str) -> None:
                body = orjson.dumps({"error": {"message": message, "code": status}})
                self._send(status, body, "application/json")

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                graph.requests.append((self.path, auth))
                if auth != f"Bearer {graph.token}":
                    self._error(401, "Invalid OAuth access token.")
                    return
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                if len(parts) == 2 and parts[0] == VERSION:
                    media_id = parts[1]
                    pending = graph.failures.get(media_id)
                    if pending:
                        self._error(pending.pop(0), "Temporarily unavailable.")
                        return
                    if media_id not in graph.media:
                        self._error(404, "Unsupported get request.")
                        return
                    content, mime = graph.media[media_id]
                    info = {
                        "messaging_product": "whatsapp",
                        "url": f"http://127.0.0.1:{graph.port}/download/{media_id}?hash=x",
                        "mime_type": mime,
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "file_size": len(content),
                        "id": media_id,
                    }
                    self._send(200, orjson.dumps(info), "application/json")
                    return
                if len(parts) == 2 and parts[0] == "download" and parts[1] in graph.media:
                    content, mime = graph.media[parts[1]]
                    self._send(200, content, mime)
                    return
                self._error(404, "Not found.")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# A small but real PNG (1x1 pixel) and PDF, recognised by `filetype` from their bytes.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f1d6f90000000049454e44ae426082"
)


def small_pdf(text: str = "Surat Keterangan Hilang") -> bytes:
    """A one-page PDF (synthetic content)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())
