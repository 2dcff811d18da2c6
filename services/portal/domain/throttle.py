"""How often one client may look a request up, and how wrong codes are slowed down.

- **A budget per client address**: `per_minute` lookups in any sliding minute; beyond
  it, refused at once (429) whatever was sent, right or wrong.
- **A growing delay per wrong code**: the n-th wrong answer (by the same client, or about
  the same ticket from anywhere) waits `base * 2^(n-1)` seconds, capped at `cap`, before
  it is answered. A guesser pays more for every guess; a citizen who mistyped once waits
  a quarter of a second. Failures are forgotten after `forget` seconds of quiet.

Pure: the time is passed in. Bounded: at most `max_keys` clients and tickets are
remembered (the oldest forgotten first).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class Throttle:
    per_minute: int = 20
    base: float = 0.25
    cap: float = 4.0
    forget: float = 15 * 60.0
    max_keys: int = 50_000
    _hits: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _failures: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)

    def admit(self, client: str, now: float) -> bool:
        """Whether this client may look up now (counts the lookup when it may)."""
        hits = self._hits.pop(client, None) or deque()
        while hits and hits[0] <= now - 60.0:
            hits.popleft()
        self._hits[client] = hits
        self._trim(self._hits)
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        return True

    def failed(self, keys: tuple[str, ...], now: float) -> tuple[float, int]:
        """A wrong answer about these keys (client, ticket): (seconds to wait, the
        highest failure count among them)."""
        worst = 0
        for key in keys:
            f = self._failures.pop(key, None) or _Failures()
            if now - f.last > self.forget:
                f.count = 0
            f.count += 1
            f.last = now
            self._failures[key] = f
            worst = max(worst, f.count)
        self._trim(self._failures)
        return min(self.base * 2 ** (worst - 1), self.cap), worst

    def _trim(self, store: OrderedDict[str, Any]) -> None:
        while len(store) > self.max_keys:
            store.popitem(last=False)
