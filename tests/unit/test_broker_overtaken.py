"""A broker that writes below the consumer's position (Tansu after a restart) is noticed:
the partition is read again once its high watermark grows while the position is beyond it,
and never over and over while nothing new arrives."""

from __future__ import annotations

from shared.broker_watch import Overtaken


def test_a_partition_written_below_the_position_is_read_again() -> None:
    o = Overtaken()
    assert not o.look("p0", 7, 1)  # beyond the end: remembered, nothing new yet
    assert not o.look("p0", 7, 1)  # still nothing new: no re-read
    assert o.look("p0", 7, 2)  # a record written below the position: read again
    assert not o.look("p0", 2, 2)  # caught up


def test_a_normal_partition_is_left_alone() -> None:
    o = Overtaken()
    for position, highwater in [(0, None), (0, 0), (3, 5), (5, 5), (6, 9)]:
        assert not o.look("p1", position, highwater)


def test_partitions_are_watched_one_by_one() -> None:
    o = Overtaken()
    assert not o.look("a", 7, 1)
    assert not o.look("b", 4, 4)
    assert not o.look("b", 4, 5)
    assert o.look("a", 7, 3)
