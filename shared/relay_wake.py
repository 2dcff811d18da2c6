"""One outbox relay for a service on several workers (`shared/workers.py`), woken by all.

Why: with a relay in every worker, each drains what its own process wrote, and the relays
take turns on the outbox's lock (`outbox.py`: one relay of a service publishes at a time,
so a case's events stay in order). Measured on intake's two workers under an open loop of
complaints: the relay waiting for the other's lock was the largest wait in PostgreSQL
(1.7 ms of lock per case), every drain was half as big, and a case's event waited for the
other worker's publish before its own.

How: the supervisor makes one datagram socket pair before it starts the workers. Worker 0
keeps the receiving end and runs the service's one relay; every other worker keeps the
sending end, runs no relay, and sends one byte after each commit that appended events (the
same `on_append` hook that wakes a relay in its own process). A datagram is the whole
message, so several senders on one socket never interleave. A byte that cannot be sent
(the socket's buffer full of wakes already) is dropped: a wake is pending anyway, and the
relay's poll (`outbox.POLL_SECONDS`) is still the fallback for anything missed.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable

from shared.eventstore.store import on_append
from shared.logging import get_logger

log = get_logger(__name__)

WAKE_FD = "SLRT_RELAY_WAKE_FD"  # the worker's end of the supervisor's socket pair, inherited
WAKE_ROLE = "SLRT_RELAY_WAKE_ROLE"  # "relay" (worker 0) or "wake" (the others)


def wake_pair() -> tuple[socket.socket, socket.socket]:
    """The supervisor's pair: (the relay's end, the other workers' end), inheritable."""
    relay_end, wake_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for end in (relay_end, wake_end):
        end.set_inheritable(True)
        end.setblocking(False)
    return relay_end, wake_end


def worker_env(index: int, relay_end: socket.socket, wake_end: socket.socket) -> dict[str, str]:
    """What worker `index` is told: its end and its role."""
    end = relay_end if index == 0 else wake_end
    return {WAKE_FD: str(end.fileno()), WAKE_ROLE: "relay" if index == 0 else "wake"}


def runs_relay() -> bool:
    """False in a worker that hands its wakes to worker 0's relay; True otherwise (a
    service alone, worker 0, or a worker started without a pair)."""
    return not (os.environ.get(WAKE_FD) and os.environ.get(WAKE_ROLE) == "wake")


def _inherited() -> socket.socket | None:
    fd = os.environ.get(WAKE_FD)
    if not fd:
        return None
    sock = socket.socket(fileno=int(fd))
    sock.setblocking(False)
    return sock


def listen_for_wakes(wake: Callable[[], None]) -> Callable[[], None]:
    """In worker 0: call `wake` whenever another worker has appended. Returns the stop."""
    sock = _inherited() if os.environ.get(WAKE_ROLE) == "relay" else None
    if sock is None:
        return lambda: None
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            while sock.recv(64):  # every pending wake at once: one drain is enough
                pass
        except (BlockingIOError, InterruptedError):
            pass
        wake()

    loop.add_reader(sock.fileno(), readable)

    def stop() -> None:
        loop.remove_reader(sock.fileno())
        sock.close()

    return stop


def send_wakes(owner: str) -> Callable[[], None]:
    """In the other workers: after each commit that appended `owner`'s events, tell worker
    0's relay. Returns the stop."""
    sock = _inherited() if os.environ.get(WAKE_ROLE) == "wake" else None
    if sock is None:
        return lambda: None

    def send() -> None:
        try:
            sock.send(b"w")
        except (BlockingIOError, InterruptedError):
            pass  # the buffer is full of wakes: the relay will look anyway
        except OSError as exc:  # worker 0 gone: the supervisor is stopping us too
            log.warning("relay_wake_failed", owner=owner, error=repr(exc))

    remove = on_append(owner, send)

    def stop() -> None:
        remove()
        sock.close()

    return stop
