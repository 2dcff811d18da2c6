"""Watching the broker: after it restarts, topics re-created and live consumption resumed.

A broker that keeps its log in memory (the embedded Tansu) comes back from a restart with no
topics, no records and no consumer groups; a Kafka consumer left to itself then retries
commits to partitions that no longer exist, forever, while its process says it is
consuming. So each service runs one `BrokerWatch`: every `INTERVAL_SECONDS` it asks the
broker for its topics (a metadata request, bounded by `PROBE_TIMEOUT_SECONDS`) and creates
any that are missing. When the broker could not be reached, or topics had to be created,
or the Kafka client reported partitions the broker does not know (after
`SUSPECT_GRACE_SECONDS`), or its first join failed: the client is let go at once (so its
group is gone before the broker is back), and once the broker answers, a new one joins
(from the group's committed offsets, or from the earliest for a group the broker has
forgotten); the service counts as consuming again only when the broker has given it
partitions, and the event store's catch-up then runs at once for whatever the broker
lost. Meanwhile `state` says so (`/health` reads it). Probes of an unreachable broker
back off up to `MAX_BACKOFF_SECONDS`.

A broker that comes back empty can also write a partition's new records at offsets the
consumer has already passed (measured with Tansu after a restart: the first batch of a
fresh partition fetched as offsets 0-6 while the broker went on writing at 1, 2, 3...; the
consumer then waits at 7 and sees nothing on that partition until the log grows past
it, 20-30 s under the fault suite's load, the store's catch-up bringing it meanwhile).
Apache Kafka answers such a fetch with `OffsetOutOfRange` and the client resets by
itself; Tansu answers with nothing. `Overtaken` notices it: a position beyond the
partition's high watermark while that watermark grows means records were written below
the position, and the partition is read again from its beginning (consumers are
idempotent; on Apache Kafka this is what `auto_offset_reset=earliest` does after a loss).

The Kafka client logs each failed retry through stdlib logging, dozens of lines a second
while a broker is away; `install_log_limiter` lets one line of each kind through per
`LOG_WINDOW_SECONDS` and says how many it held back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from shared.kafka import ensure_topics, make_admin
from shared.logging import get_logger
from shared.settings import Settings

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

log = get_logger(__name__)

INTERVAL_SECONDS = 1.0  # between two probes of a healthy broker
PROBE_TIMEOUT_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 2.0  # the longest wait between probes of an unreachable broker
LOG_WINDOW_SECONDS = 10.0
# After a restart the old consumer may still complain while it stops: not a new loss.
SUSPECT_GRACE_SECONDS = 5.0


class BrokerState(StrEnum):
    OK = "ok"  # reachable, topics in place, the consumer running
    UNREACHABLE = "unreachable"  # the last probe failed
    RECOVERING = "recovering"  # reachable again; topics re-created, consumer restarting


class BrokerWatch:
    """One service's watch on the broker; `restart` replaces the Kafka consumer (and runs
    the store's catch-up), `on_lost` is told at once when consumption has stopped being
    live."""

    def __init__(
        self,
        settings: Settings,
        *,
        restart: Callable[[], Awaitable[None]],
        on_lost: Callable[[], None],
        interval: float = INTERVAL_SECONDS,
        probe_timeout: float = PROBE_TIMEOUT_SECONDS,
        max_backoff: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        self.settings = settings
        self.restart = restart
        self.on_lost = on_lost
        self.interval = interval
        self.probe_timeout = probe_timeout
        self.max_backoff = max_backoff
        self.state = BrokerState.OK
        self.restarts = 0  # consumers replaced since start-up
        self._suspect = False  # the Kafka client reported partitions the broker lacks
        self._lost_at: float | None = None
        self._restarted_at = time.monotonic()
        self._admin: AIOKafkaAdminClient | None = None

    def suspect(self) -> None:
        """The Kafka client met topics or partitions the broker does not know (heard
        outside the grace period after a restart, when the old consumer may still speak)."""
        if time.monotonic() - self._restarted_at > SUSPECT_GRACE_SECONDS:
            self._suspect = True

    def force(self) -> None:
        """Replace the consumer at the next look (its first join failed)."""
        self._suspect = True

    def _lost(self, state: BrokerState) -> None:
        if self._lost_at is None:
            self._lost_at = time.monotonic()
        self.state = state
        self.on_lost()

    async def probe(self) -> None:
        """One look: topics re-created if missing, and the consumer replaced if the broker
        was lost since the last look. Raises if the broker cannot be reached."""
        created = await asyncio.wait_for(self._ensure_topics(), self.probe_timeout)
        if created:
            log.warning("broker_topics_recreated", topics=len(created))
        if created or self._suspect:
            self._lost(BrokerState.RECOVERING)
        if self._lost_at is None:
            return
        self.state = BrokerState.RECOVERING
        self._suspect = False
        await self.restart()
        self._restarted_at = time.monotonic()
        self.restarts += 1
        log.warning(
            "broker_consumption_resumed",
            seconds_without=round(time.monotonic() - self._lost_at, 2),
            restarts=self.restarts,
        )
        self._lost_at = None
        self.state = BrokerState.OK

    async def _ensure_topics(self) -> list[str]:
        """One admin client kept between looks (a new one each second cost every process
        a connection and its metadata round, and the broker as many); let go on any
        failure, so the next look starts from a fresh connection."""
        if self._admin is None:
            admin = make_admin(self.settings)
            await admin.start()
            self._admin = admin
        try:
            return await ensure_topics(self.settings, admin=self._admin)
        except BaseException:
            await self._close_admin()
            raise

    async def _close_admin(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()

    async def run(self) -> None:
        """Probe until cancelled, backing off while the broker is away."""
        delay = self.interval
        try:
            while True:
                try:
                    await self.probe()
                    delay = self.interval
                except Exception as exc:
                    if self.state is BrokerState.OK:
                        log.warning("broker_unreachable", error=repr(exc))
                    self._lost(BrokerState.UNREACHABLE)
                    delay = min(max(delay, self.interval) * 2, self.max_backoff)
                await asyncio.sleep(delay)
        finally:
            await self._close_admin()


class Overtaken:
    """Partitions whose broker writes below the consumer's position (see the module's
    text): `look` is given each assigned partition's position and high watermark, every
    `OVERTAKEN_LOOK_SECONDS`, and says when to read one again from its beginning."""

    def __init__(self) -> None:
        self._beyond: dict[object, int] = {}  # partition -> high watermark below the position

    def look(self, partition: object, position: int, highwater: int | None) -> bool:
        """True when `partition` must be read again from its beginning."""
        if highwater is None or position <= highwater:
            self._beyond.pop(partition, None)
            return False
        before = self._beyond.get(partition)
        self._beyond[partition] = highwater
        if before is not None and highwater > before:
            self._beyond.pop(partition)
            return True
        return False


OVERTAKEN_LOOK_SECONDS = 0.5


class _Limiter(logging.Filter):
    """One record of each kind (logger and message template) per window; the next one
    after a window carries how many were held back. Records that say the broker lacks a
    topic or partition are also passed to the watches (`BrokerWatch.suspect`)."""

    def __init__(self, window: float) -> None:
        super().__init__("slrt-kafka-limiter")
        self.window = window
        self._last: dict[tuple[str, object], float] = {}
        self._held: dict[tuple[str, object], int] = {}
        self.watches: list[BrokerWatch] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("aiokafka", "faststream")):
            return True
        if record.levelno >= logging.WARNING and "UnknownTopicOrPartition" in str(record.args):
            for watch in self.watches:
                watch.suspect()
        key = (record.name, record.msg)
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.window:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} [{held} more like this in the last {self.window:.0f} s]"
        return True


_limiter: _Limiter | None = None


def install_log_limiter(watch: BrokerWatch | None = None) -> None:
    """Limit the Kafka client's repeated log lines on every root handler (once per
    process); `watch` hears of partitions the broker does not know."""
    global _limiter
    if _limiter is None:
        _limiter = _Limiter(LOG_WINDOW_SECONDS)
        root = logging.getLogger()
        if not root.handlers:
            logging.basicConfig(level=logging.WARNING)
        for handler in root.handlers:
            handler.addFilter(_limiter)
    if watch is not None and watch not in _limiter.watches:
        _limiter.watches.append(watch)
