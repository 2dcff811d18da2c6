"""A per-client limit on the public verification page (no sign-in, so no other brake).

A sliding window per client address, in this process's memory: enough to stop one
client from walking letter ids or hashes, not a distributed quota. Behind a reverse
proxy, run uvicorn with `--proxy-headers` (and the proxy's address in
`--forwarded-allow-ips`) so the client's own address is the key.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from shared.refusal import Refused

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000  # beyond that, the least recently seen client is forgotten


class RateLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def check(self, client: str) -> None:
        """Count one request of `client`; refuse (429) beyond `per_minute` in the window."""
        now = self.clock()
        hits = self._seen.pop(client, None) or deque()
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        self._seen[client] = hits  # most recently seen last
        if len(hits) >= self.per_minute:
            retry = max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
            raise Refused(
                "too_many_requests",
                "Terlalu banyak permintaan verifikasi; coba lagi sebentar lagi.",
                status=429,
                details={"retry_after_seconds": retry, "limit_per_minute": self.per_minute},
            )
        hits.append(now)
        while len(self._seen) > MAX_CLIENTS:
            del self._seen[next(iter(self._seen))]
