"""A batch consumer takes records the moment they are fetched (`shared.kafka.
wait_for_records_without_sleeping`): FastStream's own batch look sleeps after an empty
look, which added up to its timeout to every quiet hop."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace
from typing import Any

import pytest
from faststream.kafka.subscriber.usecase import BatchSubscriber

from shared import kafka
from shared.kafka import wait_for_records_without_sleeping


class _Buffer:
    """aiokafka's `getmany` as far as the look uses it: what is fetched, or nothing after
    the timeout (or at once, as with no partition assigned)."""

    def __init__(self, batches: list[dict[str, list[int]]], *, early: bool = False) -> None:
        self.batches = batches
        self.early = early
        self.timeouts: list[int] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[str, list[int]]:
        self.timeouts.append(timeout_ms)
        if self.batches:
            return self.batches.pop(0)
        if not self.early:
            await asyncio.sleep(timeout_ms / 1000)
        return {}


class _Subscriber:
    batch_timeout_ms = 40
    max_records = 500


def _look(consumer: _Buffer) -> Any:
    wait_for_records_without_sleeping()
    return BatchSubscriber.get_msg(_Subscriber(), consumer)  # type: ignore[arg-type]


def test_the_replaced_look_is_the_pinned_faststreams_own() -> None:
    """If FastStream changes its batch look, this says so: the replacement is read again."""
    wait_for_records_without_sleeping()
    replaced = BatchSubscriber.get_msg._replaced  # type: ignore[attr-defined]
    source = inspect.getsource(replaced)
    assert "consumer.getmany(" in source
    assert "anyio.sleep(self.batch_timeout_ms / 1000)" in source


async def test_records_fetched_are_returned_in_partition_order() -> None:
    records = await _look(_Buffer([{"a": [1, 2], "b": [3]}]))
    assert records == (1, 2, 3)


def _recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses the look itself takes (not the buffer's wait, nor any other task's)."""
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(kafka, "asyncio", SimpleNamespace(sleep=recording_sleep))
    return slept


async def test_an_empty_look_takes_its_timeout_and_does_not_sleep_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept = _recorded_sleeps(monkeypatch)
    buffer = _Buffer([])
    assert await _look(buffer) == ()
    assert buffer.timeouts == [40]
    assert slept == []


async def test_an_empty_look_back_before_its_time_pauses_so_the_loop_never_spins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept = _recorded_sleeps(monkeypatch)
    assert await _look(_Buffer([], early=True)) == ()
    assert slept == [0.05]
