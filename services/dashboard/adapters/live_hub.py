"""The in-process publish/subscribe that carries live changes to open pages.

One bounded asyncio queue per open page (an SSE connection). Publishing looks subscribers
up by case id and by office, so a change costs only the pages that show it, whatever the
number of open pages; nothing polls. A page too slow to take its changes loses the oldest
and is told to reload its parts (`resync`), never blocks the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator
from typing import TypeVar
from uuid import UUID

from services.dashboard.domain.live import Change, Topic

QUEUE_SIZE = 64
K = TypeVar("K")


class Subscription:
    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False

    def offer(self, change: Change) -> None:
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(change)

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class LiveHub:
    def __init__(self) -> None:
        self._by_case: dict[UUID, set[Subscription]] = defaultdict(set)
        self._by_office: dict[str, set[Subscription]] = defaultdict(set)
        self.published = 0

    @property
    def connections(self) -> int:
        return sum(len(s) for s in self._by_case.values()) + sum(
            len(s) for s in self._by_office.values()
        )

    @contextlib.contextmanager
    def subscribe(self, topic: Topic) -> Iterator[Subscription]:
        sub = Subscription(topic)
        if topic.case_id is not None:
            self._by_case[topic.case_id].add(sub)
        else:
            self._by_office[topic.office].add(sub)
        try:
            yield sub
        finally:
            if topic.case_id is not None:
                _discard(self._by_case, topic.case_id, sub)
            else:
                _discard(self._by_office, topic.office, sub)

    def publish(self, change: Change) -> int:
        """Offer the change to every page that wants it; return how many."""
        self.published += 1
        targets = list(self._by_office.get(change.office, ()))
        if change.case_id is not None:
            targets += self._by_case.get(change.case_id, ())
        n = 0
        for sub in targets:
            if sub.topic.wants(change):
                sub.offer(change)
                n += 1
        return n

    def close_all(self) -> None:
        for index in (*self._by_case.values(), *self._by_office.values()):
            for sub in index:
                sub.close()


def _discard(index: dict[K, set[Subscription]], key: K, sub: Subscription) -> None:
    subs = index.get(key)
    if subs is not None:
        subs.discard(sub)
        if not subs:
            del index[key]
