"""A lean keep-alive HTTP/1.1 client for the bench's load.

httpx costs about 5 ms of CPU per request on this kind of machine (a bare FastAPI
"hello" measured 200 req/s through httpx, 1,400 req/s through this client), so with
httpx the bench would measure its own client. One connection per concurrent caller;
requests go out one at a time on each connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, base_url: str) -> Connection:
        parts = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        head = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return Reply(status, await self.reader.readexactly(length))

    async def post_json(self, path: str, payload: object, headers: dict[str, str]) -> Reply:
        return await self.request(
            "POST",
            path,
            body=orjson.dumps(payload),
            headers={"Content-Type": "application/json", **headers},
        )

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
