"""What a test package's stack of real service processes needs around `start_stack`: a
database of its own on the session's server, settings that settle consumer groups quickly,
and, once it stopped, the errors its logs hold shown in the test output (e2e, browser)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shared.dbroles import create_database
from shared.infra import Backend, Infra

# The services' environment in a test stack: they restart often, so consumer groups settle
# quickly; logs are JSON at INFO (the tests read them); no demo registry data.
STACK_ENV = {
    "KAFKA_SESSION_TIMEOUT_MS": "6000",
    "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "SLRT_LOG_FORMAT": "json",
    "SLRT_LOG_LEVEL": "INFO",
    "SLRT_DEMO_DATA": "false",
}


def own_database(infra: Infra, name: str) -> Infra:
    """A fresh database `name` on the session's server (one left over is dropped) with the
    session's broker: the infrastructure a stack borrows (stopping it closes neither)."""
    return Infra(
        database_url=asyncio.run(create_database(infra.database_url, name, replace=True)),
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        database_backend=Backend.EXTERNAL,
        kafka_backend=Backend.EXTERNAL,
        kafka_enable_idempotence=infra.kafka_enable_idempotence,
    )


def show_errors(logs: Path) -> None:
    """Print the tail of every service log under `logs` that holds an error or traceback."""
    for f in sorted(logs.glob("*.log")):
        text = f.read_text(errors="replace")
        if '"level": "error"' in text or "Traceback" in text:
            print(f"\n---- {f.name} (errors seen) ----\n{text[-4000:]}")
