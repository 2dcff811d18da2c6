"""`shared.offsets.OffsetCommits`: what is committed, and when. (The real client and broker
are in tests/integration/test_batch_consumer_crash.py: offsets reach the end of the topic
after the batches, and a batch applied but not committed comes again.)"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from aiokafka.structs import TopicPartition

from shared.offsets import OffsetCommits


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int


class Client:
    """Records what aiokafka's consumer would be asked to commit."""

    def __init__(self, fail: bool = False) -> None:
        self.committed: list[dict[TopicPartition, int]] = []
        self.fail = fail

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            raise RuntimeError("rebalance in progress")
        self.committed.append(dict(offsets))


A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


async def test_with_no_interval_every_batch_commits_the_next_offset_of_each_partition() -> None:
    client, commits = Client(), OffsetCommits(0)
    await commits.applied(client, [Rec("a", 0, 4), Rec("a", 0, 5), Rec("b", 0, 0)])
    await commits.applied(client, [Rec("a", 1, 9)])
    assert client.committed == [{A0: 6, B0: 1}, {A1: 10}]


async def test_batches_within_the_interval_are_committed_together_by_the_timer() -> None:
    client, commits = Client(), OffsetCommits(0.2)
    await commits.applied(client, [Rec("a", 0, 0)])
    await commits.applied(client, [Rec("a", 0, 1), Rec("b", 0, 3)])
    await commits.applied(client, [Rec("a", 1, 7)])
    assert client.committed == []  # nothing yet: within the interval
    await asyncio.sleep(0.35)
    assert client.committed == [{A0: 2, B0: 4, A1: 8}]
    await commits.close()
    assert client.committed == [{A0: 2, B0: 4, A1: 8}]  # nothing more to commit


async def test_close_commits_what_waits() -> None:
    client, commits = Client(), OffsetCommits(60)
    await commits.applied(client, [Rec("a", 0, 3)])
    await commits.close()
    assert client.committed == [{A0: 4}]


async def test_a_failed_commit_is_dropped_and_the_next_one_goes_on() -> None:
    failing, commits = Client(fail=True), OffsetCommits(0)
    await commits.applied(failing, [Rec("a", 0, 3)])  # logged, not raised
    assert failing.committed == []
    failing.fail = False
    await commits.applied(failing, [Rec("a", 0, 4)])
    assert failing.committed == [{A0: 5}]


async def test_a_new_client_does_not_commit_the_old_ones_offsets() -> None:
    old, new, commits = Client(), Client(), OffsetCommits(60)
    await commits.applied(old, [Rec("a", 0, 3)])
    await commits.applied(new, [Rec("b", 0, 0)])
    await commits.close()
    assert old.committed == [] and new.committed == [{B0: 1}]


async def test_offsets_never_go_back_within_a_partition() -> None:
    client, commits = Client(), OffsetCommits(60)
    records: list[Any] = [Rec("a", 0, 8), Rec("a", 0, 2)]
    await commits.applied(client, records)
    await commits.close()
    assert client.committed == [{A0: 9}]


class BlockedClient(Client):
    """A client whose commit waits for a coordinator that is away (as aiokafka's does
    while the broker is down: it retries until one answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.cancelled = False

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_a_lost_broker_forgets_what_waits() -> None:
    client, commits = Client(), OffsetCommits(60)
    await commits.applied(client, [Rec("a", 0, 3)])
    commits.forget()
    await commits.close()
    assert client.committed == []  # those batches come again, met as applied


async def test_a_lost_broker_cancels_a_commit_under_way() -> None:
    """Else the client, retrying, would take the old offsets to the broker that comes back
    (empty, for the embedded one), and the new client would skip its records up to them."""
    client, commits = BlockedClient(), OffsetCommits(0.05)
    await commits.applied(client, [Rec("a", 0, 3)])
    await asyncio.wait_for(client.started.wait(), 2)  # the timer's commit, waiting
    commits.forget()
    await asyncio.sleep(0.05)
    assert client.cancelled and client.committed == []
    await commits.close()
