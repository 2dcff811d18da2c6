"""The five services as real processes (the same launcher as `make up`), on the session's
PostgreSQL and broker, with their own database and topic prefix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.devstack import Stack, start_stack
from shared.infra import Infra
from tests.fake_graph import FakeGraph
from tests.package_stack import STACK_ENV, own_database, show_errors
from tests.providers import FakeProviders, SmtpSink, fake_providers, smtp_sink


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[SmtpSink]:
    """A real SMTP server the stack's notifications sends every office's e-mail to."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="session")
def channel_providers() -> Iterator[FakeProviders]:
    """Local stand-ins for WhatsApp's Cloud API (and the others) the stack sends to."""
    with fake_providers() as providers:
        yield providers


def channel_accounts(mail_sink: SmtpSink, providers: FakeProviders) -> str:
    """SLRT_CHANNELS for the stack: e-mail to the sink, WhatsApp to the local Cloud API."""
    return json.dumps(
        {
            "*": {
                "email": {"host": "127.0.0.1", "port": mail_sink.port},
                "whatsapp": {
                    "phone_number_id": "e2e",
                    "access_token": "e2e-token",
                    "base_url": f"{providers.url}/wa",
                },
            }
        }
    )


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[FakeGraph]:
    """A local server speaking the WhatsApp Cloud API's media shapes; intake's media
    worker is pointed at it (nothing reaches it unless a test sends media)."""
    graph = FakeGraph().start()
    try:
        yield graph
    finally:
        graph.stop()


# Package-scoped: the processes stop when the e2e tests are done, not at the session's end.
@pytest.fixture(scope="package")
def stack(
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    mail_sink: SmtpSink,
    channel_providers: FakeProviders,
    fake_graph: FakeGraph,
) -> Iterator[Stack]:
    borrowed = own_database(infra, "e2e")
    logs = Path(tmp_path_factory.mktemp("e2e-logs"))
    s = start_stack(
        logs,
        infra=borrowed,
        fixed_ports=False,
        log_dir=logs,
        extra_env={
            **STACK_ENV,
            "KAFKA_TOPIC_PREFIX": "e2e.",
            "SLRT_CHANNELS": channel_accounts(mail_sink, channel_providers),
            "SLRT_DELIVERY_BACKOFF_BASE_SECONDS": "0.2",
            "SLRT_DELIVERY_BACKOFF_CAP_SECONDS": "2",
            "SLRT_WHATSAPP_API_BASE": fake_graph.api_base,
            "SLRT_WHATSAPP_TOKEN": fake_graph.token,
        },
    )
    try:
        yield s
    finally:
        s.stop()
        show_errors(logs)
