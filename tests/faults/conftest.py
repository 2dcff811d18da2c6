"""The fault suite's stack: the five services as real processes on a PostgreSQL and a broker
of the suite's own (tests/faults/parts.py), so that stopping them touches no other test.

The table of every fault run is printed at the end of the session and written to
`.slrt/faults.md` (the lead pastes it into the note).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.devstack import Stack, start_stack
from shared.infra import Backend, Infra
from shared.kafka import SERVICES, ensure_topics
from shared.settings import REPO_ROOT, Settings
from tests.faults.parts import Broker, Postgres

TABLE_FILE = REPO_ROOT / ".slrt" / "faults.md"
ROWS: list[str] = []  # one markdown row per fault, in the order run
HEADER = (
    "| fault | load | accepted (201) | refused (503) | other 5xx | no answer "
    "| lost | doubled | all in casework after recovery (s) | down (s) "
    "| casework consuming again after (s) |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


@dataclass
class FaultStack:
    stack: Stack
    postgres: Postgres
    broker: Broker
    log_dir: Path

    @property
    def dsn(self) -> str:
        return self.postgres.dsn


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    # Not under pytest's temp folder: as root, the embedded PostgreSQL runs as its own
    # user. The logs are (pytest keeps them for a look after a failure).
    data = Path(tempfile.mkdtemp(prefix="slrt-faults-"))
    data.chmod(0o755)
    logs = tmp_path_factory.mktemp("faults-logs")
    postgres = Postgres(data)
    broker = Broker(logs)
    stack: Stack | None = None
    try:
        broker.start()
        infra = Infra(
            database_url=postgres.dsn,
            kafka_bootstrap_servers=broker.bootstrap,
            database_backend=Backend.EXTERNAL,
            kafka_backend=Backend.EXTERNAL,
            kafka_enable_idempotence=False,  # Tansu refuses InitProducerId
        )
        asyncio.run(ensure_topics(Settings(kafka_bootstrap_servers=broker.bootstrap)))
        stack = start_stack(
            data,
            infra=infra,
            fixed_ports=False,
            log_dir=logs,
            services=SERVICES,
            extra_env={
                "KAFKA_SESSION_TIMEOUT_MS": "6000",
                "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                "SLRT_LOG_FORMAT": "json",
                "SLRT_LOG_LEVEL": "INFO",
                "SLRT_DEMO_DATA": "false",
            },
        )
        yield FaultStack(stack, postgres, broker, logs)
    finally:
        if stack is not None:
            stack.stop()  # its infra is borrowed (external): closes nothing of ours
        broker.close()
        postgres.close()
        shutil.rmtree(data, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    table = "\n".join([HEADER, *ROWS]) + "\n"
    TABLE_FILE.parent.mkdir(parents=True, exist_ok=True)
    TABLE_FILE.write_text(table)
    terminalreporter.write_sep("=", "fault suite")
    terminalreporter.write(table)
    terminalreporter.write_line(f"(written to {TABLE_FILE.relative_to(REPO_ROOT)})")
