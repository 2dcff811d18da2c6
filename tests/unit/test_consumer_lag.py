"""How far behind the store live delivery runs (`shared.consumer.lag_seconds`): what the
periodic catch-up adds to the events it leaves alone (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from shared.consumer import lag_seconds
from shared.contracts.base import EventEnvelope

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def _recorded(seconds_ago: float | None) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid4(),
        event_type="CaseAssigned",
        schema_version=1,
        stream_id="case-x",
        stream_version=1,
        correlation_id=uuid4(),
        actor="staff:t",
        occurred_at=NOW,
        recorded_at=None if seconds_ago is None else NOW - timedelta(seconds=seconds_ago),
        data={},
    )


def test_the_oldest_event_of_a_batch_sets_the_lag() -> None:
    assert lag_seconds([_recorded(0.2), _recorded(12.5), _recorded(3)], NOW) == 12.5


def test_no_recording_time_or_a_clock_ahead_gives_no_lag() -> None:
    assert lag_seconds([], NOW) == 0.0
    assert lag_seconds([_recorded(None)], NOW) == 0.0
    assert lag_seconds([_recorded(-2)], NOW) == 0.0  # the database's clock a little ahead
