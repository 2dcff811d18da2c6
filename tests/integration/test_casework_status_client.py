"""notifications' read of casework's public status keeps one HTTP client: the delivery
worker's per-message due date reuses one connection instead of building a client (and its
TLS context) per read (issue 15, `bench/email.py`). Over real TCP, against a small HTTP
server that answers as casework's internal route does and counts connections."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

import orjson
import pytest

from services.notifications.adapters.casework_status import CaseStatus, HttpCaseworkStatus
from shared.internal_api import HEADER

pytestmark = pytest.mark.integration

DUE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Casework:
    """Answers `GET /v1/internal/cases/{id}/public-status` with keep-alive: a known case
    with its stage and due time, any other 404; counts connections and the key sent."""

    def __init__(self, known: UUID) -> None:
        self.known = known
        self.connections = 0
        self.keys: list[str | None] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")
                path = lines[0].split(" ")[1]
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                )
                self.keys.append(headers.get(HEADER.lower()))
                if path == f"/v1/internal/cases/{self.known}/public-status":
                    status, body = "200 OK", {"stage": "in_review", "due_at": DUE.isoformat()}
                else:
                    status, body = "404 Not Found", {"detail": "unknown case"}
                payload = orjson.dumps(body)
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def test_one_client_one_connection_for_every_read() -> None:
    case_id = uuid4()
    casework = Casework(case_id)
    url = await casework.start()
    reader = HttpCaseworkStatus(url)
    try:
        expected = CaseStatus(stage="in_review", due_at=DUE, paused=False)
        assert [await reader.status_of(case_id) for _ in range(3)] == [expected] * 3
        assert await reader.status_of(uuid4()) is None  # casework has not seen it
        assert casework.connections == 1  # four reads, one connection
        assert len(casework.keys) == 4 and all(casework.keys)  # the services' shared key

        await reader.close()
        assert await reader.status_of(case_id) == expected  # closed: a new client
        assert casework.connections == 2
    finally:
        await reader.close()
        await casework.stop()
