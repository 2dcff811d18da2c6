"""One service on several cores: N worker processes serving one port.

`python -m services.intake` with `SLRT_INTAKE_WORKERS=2` becomes a small supervisor: it
binds the HTTP port N times with `SO_REUSEPORT` (one listening socket per worker) and
starts N copies of itself (`SLRT_WORKER_INDEX=0..N-1`), each inheriting its own socket and
running a whole runtime of its own (pool, event store, group-commit writer) under
uvicorn. The kernel spreads new connections over the N sockets by their address hash.
Worker 0 also runs the service's one outbox relay, which the others wake after each
commit through a datagram socket pair the supervisor made (`shared/relay_wake.py`).

Why `SO_REUSEPORT`, and not one socket shared by every worker (uvicorn's `workers=`,
gunicorn): with one shared socket the worker that wakes first accepts every connection
waiting (uvloop accepts greedily), so a burst of keep-alive connections, the desk's
clients and the bench alike, all land on one process while the other idles (measured: 20
to 0). uvicorn's own workers also give a worker no index, and the parts that must run once
(the SMTP door on its port, the Kafka consumer) need one: worker 0 runs them (see
`is_primary_worker`). The supervisor binds every socket itself, before any worker starts,
so a port already taken fails at once and loudly, as one process would.

The supervisor does no work of its own: SIGTERM/SIGINT are passed to the workers (each
stops as a single service does); a worker that exits stops the others, and the supervisor
exits with its code, so `make up` and the tests see a failed service as before. Workers
die with the supervisor (Linux: `PR_SET_PDEATHSIG`), so a `kill -9` of it leaves no
orphan holding the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from fastapi import FastAPI

from shared.logging import configure_logging, get_logger
from shared.metrics import MULTIPROCESS_DIR
from shared.relay_wake import WAKE_FD, wake_pair, worker_env
from shared.runtime import serve
from shared.settings import DEFAULT_PORTS, get_settings

log = get_logger(__name__)

WORKER_INDEX = "SLRT_WORKER_INDEX"  # set by the supervisor for each worker
LISTEN_FD = "SLRT_LISTEN_FD"  # the worker's own listening socket, inherited
STOP_SECONDS = 45.0  # a worker's own stop is bounded (10 s per part); then it is killed


def worker_index() -> int | None:
    """This process's index among its service's workers; None when it runs alone."""
    value = os.environ.get(WORKER_INDEX)
    return int(value) if value is not None else None


def is_primary_worker() -> bool:
    """True in the process that runs the once-only parts: a service running alone, or
    worker 0 of several."""
    return worker_index() in (None, 0)


def default_workers() -> int:
    """Two where there are two cores or more, else one (see the service's README)."""
    return min(2, os.cpu_count() or 1)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def serve_workers(name: str, create_app: Callable[[], FastAPI], workers: int) -> None:
    """Serve `name` with `workers` processes (one: exactly as `serve`)."""
    fd = os.environ.get(LISTEN_FD)
    if fd is not None:  # a worker: the supervisor's socket, this process's own runtime
        serve(create_app(), name, sockets=[socket.socket(fileno=int(fd))])
        return
    if workers <= 1:
        serve(create_app(), name)
        return
    raise SystemExit(supervise(name, workers))


def supervise(name: str, workers: int) -> int:
    configure_logging(name)
    settings = get_settings()
    port = settings.slrt_http_port or DEFAULT_PORTS[name]
    listeners = [
        socket.create_server((settings.slrt_http_host, port), backlog=2048, reuse_port=True)
        for _ in range(workers)
    ]
    relay_end, wake_end = wake_pair()  # one relay, in worker 0, woken by all (relay_wake.py)
    # The workers' metrics, read together by whichever worker is scraped (shared/metrics.py);
    # a fresh directory each start, so no earlier run's counts are added in.
    metrics_dir = tempfile.mkdtemp(prefix=f"slrt-{name}-metrics-")
    children = []
    for i, listener in enumerate(listeners):
        listener.set_inheritable(True)
        fd = listener.fileno()
        wake = worker_env(i, relay_end, wake_end)
        children.append(
            subprocess.Popen(  # noqa: S603  (this same service module)
                [sys.executable, "-m", f"services.{name}"],
                env={
                    **os.environ,
                    WORKER_INDEX: str(i),
                    LISTEN_FD: str(fd),
                    MULTIPROCESS_DIR: metrics_dir,
                    **wake,
                },
                pass_fds=(fd, int(wake[WAKE_FD])),
                preexec_fn=_die_with_parent,  # the supervisor has no threads: safe here
            )
        )
    relay_end.close()  # the workers hold their ends
    wake_end.close()
    log.info("workers_started", workers=workers, port=port, pids=[c.pid for c in children])
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                log.error("worker_exited", pid=child.pid, code=child.returncode)
                code = child.returncode or 1
                stopping = True
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("worker_killed", pid=child.pid)
            child.kill()
            child.wait()
    for listener in listeners:
        listener.close()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    return code
