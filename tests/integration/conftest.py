"""Fixtures the notification sender tests share: the local stand-ins for the channels'
providers (one per module, cleared per test by `fresh`) and a real SMTP server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
