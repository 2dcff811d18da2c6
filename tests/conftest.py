"""Fixtures for real parts: one PostgreSQL and one Kafka-protocol broker per test session.

They come from `shared.infra` — the same code `make up` uses: addresses from the
environment if set, testcontainers where Docker answers, otherwise the embedded PostgreSQL
and Tansu that the project installs itself.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.auth import generate_key_pair
from shared.db import create_pool
from shared.dbroles import create_database
from shared.infra import Infra, start_infra
from shared.kafka import ensure_topics
from shared.logging import configure_logging
from shared.settings import Settings, get_settings

os.environ.setdefault("SLRT_LOG_FORMAT", "console")
os.environ.setdefault("SLRT_LOG_LEVEL", "WARNING")
configure_logging("tests")

# One Ed25519 key pair per test session, made before any test (or any process a test
# starts) reads its settings: `mint_token` signs with the private key in this process, the
# services verify with the public one. `start_stack` hands the services the public key only.
STAFF_PRIVATE_KEY, STAFF_PUBLIC_KEY = generate_key_pair()
os.environ["SLRT_JWT_PRIVATE_KEY"] = STAFF_PRIVATE_KEY
os.environ["SLRT_JWT_PUBLIC_KEY"] = STAFF_PUBLIC_KEY
os.environ.pop("SLRT_JWT_PRIVATE_KEY_FILE", None)
os.environ.pop("SLRT_JWT_PUBLIC_KEY_FILE", None)
get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def staff_keys() -> tuple[str, str]:
    """The session's staff-token key pair (private PEM, public PEM)."""
    return STAFF_PRIVATE_KEY, STAFF_PUBLIC_KEY


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    # Not under pytest's temp folder: as root, the embedded PostgreSQL runs as its own
    # user, and a second pytest session resets that folder to owner-only access.
    data = Path(tempfile.mkdtemp(prefix="slrt-infra-"))
    data.chmod(0o755)
    parts = start_infra(data, ephemeral=True)
    asyncio.run(
        ensure_topics(
            Settings(
                kafka_bootstrap_servers=parts.kafka_bootstrap_servers,
                kafka_enable_idempotence=parts.kafka_enable_idempotence,
            )
        )
    )
    try:
        yield parts
    finally:
        parts.close()
        shutil.rmtree(data, ignore_errors=True)


_db_counter = itertools.count(1)


@pytest.fixture
async def database_url(infra: Infra) -> str:
    """A fresh, empty database for one test: tests never see each other's rows."""
    return await create_database(infra.database_url, f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
async def settings(infra: Infra, database_url: str) -> Settings:
    """A fresh database and a private set of topics: each test is hermetic."""
    prefix = database_url.partition("?")[0].rpartition("/")[2]
    s = Settings(
        kafka_topic_prefix=f"{prefix}.",
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        kafka_enable_idempotence=infra.kafka_enable_idempotence,
        # In-process services restart often in tests: settle consumer groups quickly.
        kafka_session_timeout_ms=6_000,
        kafka_heartbeat_interval_ms=500,
    )
    await ensure_topics(s)
    return s


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_url, max_size=20)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
def service_settings(settings: Settings) -> Settings:
    """Settings for one service run in-process against the session's real parts."""
    return settings
