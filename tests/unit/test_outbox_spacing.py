"""The outbox relay's drains are spaced under a steady stream of wakes, and a wake after a
quiet spell drains at once (shared/outbox.py, `OutboxRelay.run`). The drain itself is
replaced: what is tested is when `run` starts one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.outbox import OutboxRelay


class Recorded(OutboxRelay):
    def __init__(self, interval: float) -> None:
        super().__init__(None, "spacing-test", None, interval_seconds=interval, poll_seconds=30)
        self.started: list[float] = []

    async def drain_once(self) -> int:
        self.started.append(asyncio.get_running_loop().time())
        return 0


async def _running(relay: Recorded) -> Any:
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.01)  # its first look, at once
    return task


async def _stop(task: Any) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_steady_wakes_start_drains_no_closer_than_the_interval() -> None:
    relay = Recorded(interval=0.2)
    task = await _running(relay)
    loop = asyncio.get_running_loop()
    try:
        began = loop.time()
        for _ in range(60):  # a commit every 10 ms (or slower, on a busy machine)
            relay.wake()
            await asyncio.sleep(0.01)
        waking = loop.time() - began
        await asyncio.sleep(0.25)  # the last wake's drain
    finally:
        await _stop(task)
    gaps = [b - a for a, b in zip(relay.started, relay.started[1:], strict=False)]
    assert gaps and min(gaps) >= 0.2 - 0.005
    # 61 wakes (the first look and 60 commits) took one drain per interval (and the
    # first look, and the last wake's), not 61.
    assert 3 <= len(relay.started) <= waking / 0.2 + 3


async def test_a_wake_after_a_quiet_spell_drains_at_once() -> None:
    relay = Recorded(interval=1.0)
    task = await _running(relay)
    try:
        await asyncio.sleep(1.2)  # longer than the interval since the first look
        woken_at = asyncio.get_running_loop().time()
        relay.wake()
        await asyncio.sleep(0.2)
    finally:
        await _stop(task)
    assert len(relay.started) == 2
    assert relay.started[1] - woken_at < 0.5  # not held back for the interval (1 s)


async def test_zero_interval_drains_on_every_wake() -> None:
    relay = Recorded(interval=0)
    task = await _running(relay)
    try:
        for _ in range(5):
            relay.wake()
            await asyncio.sleep(0.02)
    finally:
        await _stop(task)
    assert len(relay.started) == 6
