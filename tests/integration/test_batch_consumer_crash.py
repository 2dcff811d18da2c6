"""kill -9 between a batch's transaction commit and its offset commit (issue 15, "must
still hold"): the consumer process (`python -m bench.drain serve`, a real service runtime
whose handler writes one unkeyed row per event) dies with `SLRT_TEST_CRASH_AFTER_COMMIT=1`
right after its first batch committed, before the offsets; restarted, it is given that
batch again by Kafka and the rest after it. Counted: no event lost, none applied twice.

Its store checkpoint is set to the head first, so its catch-up from the store applies
nothing: every event it applies comes through the broker. Real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import orjson
import pytest
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import TopicPartition

from bench.drain import PROBE_SCHEMA, make_backlog, prepare_probe, skip_store_catch_up
from shared.contracts.events import CaseAssigned
from shared.runtime import CRASH_EXIT_CODE, migrate_service
from shared.settings import REPO_ROOT, Settings, topic_name
from tests.servicekit import eventually

pytestmark = pytest.mark.integration

EVENTS = 240
BATCH = 40


def _start(settings: Settings, log: Path, *, crash: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "KAFKA_ENABLE_IDEMPOTENCE": str(settings.kafka_enable_idempotence).lower(),
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "SLRT_LOG_FORMAT": "json",
        "SLRT_LOG_LEVEL": "INFO",
        "PROBE_BATCH_SIZE": str(BATCH),
        "PYTHONPATH": str(REPO_ROOT),
    }
    env.pop("SLRT_TEST_CRASH_AFTER_COMMIT", None)
    if crash:
        env["SLRT_TEST_CRASH_AFTER_COMMIT"] = "1"
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bench.drain", "serve"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _committed_offsets_now(settings: Settings) -> int:
    """The sum of the consumer group's committed offsets (what Kafka would not give again),
    read by an outside client that asks without joining the group."""
    group = topic_name(settings, f"slrt-{PROBE_SCHEMA}")
    topic = topic_name(settings, CaseAssigned.topic)
    reader = KafkaConsumer(
        {"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": group}
    )
    try:
        parts = [TopicPartition(topic, p) for p in range(settings.kafka_topic_partitions)]
        return sum(max(tp.offset, 0) for tp in reader.committed(parts, timeout=20))
    finally:
        reader.close()


async def _committed_offsets(settings: Settings) -> int:
    return await asyncio.to_thread(_committed_offsets_now, settings)


async def _counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT count(*) AS effects, count(DISTINCT event_id) AS distinct_events,
                   (SELECT count(*) FROM notifications.processed_events) AS processed
               FROM notifications.probe_effects"""
        )
    assert row is not None
    return row["effects"], row["distinct_events"], row["processed"]


async def test_a_consumer_killed_between_commit_and_offset_commit_loses_and_doubles_nothing(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    assert settings.database_url
    await migrate_service(settings.database_url, "casework", None)
    await prepare_probe(settings.database_url)
    await make_backlog(settings, pool, EVENTS, per_transaction=EVENTS // 4)
    await skip_store_catch_up(pool, PROBE_SCHEMA)
    log = tmp_path / "probe.log"

    first = _start(settings, log, crash=True)
    try:
        code = await asyncio.wait_for(asyncio.to_thread(first.wait), 90)
    finally:
        if first.poll() is None:
            first.kill()
    assert code == CRASH_EXIT_CODE, log.read_text()[-3000:]
    # It died with a batch committed in PostgreSQL and not in Kafka.
    effects, distinct, processed = await _counts(pool)
    assert 0 < effects == distinct == processed <= BATCH
    assert await _committed_offsets(settings) == 0
    crashed_batch = effects

    second = _start(settings, log, crash=False)
    try:

        async def all_in() -> bool:
            return (await _counts(pool))[2] >= EVENTS

        await eventually(all_in, timeout=120, interval=0.25)
        # Let Kafka offer anything it still would (offsets catch up with the last batch).
        await eventually(lambda: _offsets_reach(settings, EVENTS), timeout=60, interval=0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(second.wait), 30)
        except TimeoutError:
            second.kill()

    assert await _counts(pool) == (EVENTS, EVENTS, EVENTS)  # none lost, none doubled
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM notifications.dead_letters") == 0
    # The batch that was committed but not acknowledged came again from Kafka, and was met
    # as already applied.
    lines = [orjson.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    duplicates = [x for x in lines if x.get("event") == "event_handled" and x.get("duplicate")]
    assert len(duplicates) >= crashed_batch


async def _offsets_reach(settings: Settings, n: int) -> bool:
    return await _committed_offsets(settings) >= n
