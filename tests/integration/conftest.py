"""Fixtures the notification tests share: the local stand-ins for the channels' providers
(one per module, cleared per test by `fresh`), a real SMTP server per test, and a database
with notifications' tables (`with_store_and_service`: any service's, over the store's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from services.notifications.bootstrap import MIGRATIONS
from shared.db import migrate
from shared.eventstore.store import MIGRATIONS as STORE_MIGRATIONS
from shared.runtime import migrate_service
from shared.settings import Settings
from tests.providers import FakeProviders, SmtpSink, fake_providers, smtp_sink


@pytest.fixture(scope="module")
def providers() -> Iterator[FakeProviders]:
    with fake_providers() as p:
        yield p


@pytest.fixture
def fresh(providers: FakeProviders) -> FakeProviders:
    providers.clear()
    return providers


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as s:
        yield s


@pytest.fixture
async def notifications_ready(pool: asyncpg.Pool, settings: Settings) -> Settings:
    """The test's database with the event store's and notifications' tables."""
    assert settings.database_url
    await with_store_and_service(pool, settings.database_url, "notifications", MIGRATIONS)
    return settings


async def with_store_and_service(
    pool: asyncpg.Pool, database_url: str, service: str, migrations: Path
) -> None:
    """The event store's tables, then `service`'s own (its migrations)."""
    async with pool.acquire() as conn:
        await migrate(conn, "eventstore", STORE_MIGRATIONS)
    await migrate_service(database_url, service, migrations)
