"""The whole system on one machine: infrastructure, topics, and the five service processes.

`slrt up` (what `make up` runs) and the end-to-end tests and bench use the same code, so
what the tests prove is what an engineer starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.infra import Infra, free_port, start_infra
from shared.kafka import SERVICES, ensure_topics
from shared.logging import get_logger
from shared.settings import DEFAULT_PORTS, REPO_ROOT, Settings

log = get_logger(__name__)


SMTP_PORT = 8025  # `make up`: intake's SMTP endpoint for the offices' e-mail


@dataclass
class Stack:
    infra: Infra
    urls: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: Path | None = None
    smtp_port: int | None = None  # intake's SMTP endpoint for e-mail

    def url(self, service: str) -> str:
        return self.urls[service]

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                proc.kill()
        self.processes.clear()
        self.infra.close()


def _wait_healthy(
    urls: dict[str, str], procs: dict[str, subprocess.Popen[bytes]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    with httpx.Client(timeout=1.0) as client:
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                if procs[name].poll() is not None:
                    raise RuntimeError(f"service {name} exited with {procs[name].returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{url}/health").status_code == 200:
                        pending.pop(name)
            time.sleep(0.1)
    if pending:
        raise TimeoutError(f"services not healthy after {timeout}s: {sorted(pending)}")


def start_stack(
    data_dir: Path,
    *,
    mode: str | None = None,
    ephemeral: bool = False,
    fixed_ports: bool = True,
    log_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60.0,
    infra: Infra | None = None,
    services: tuple[str, ...] = SERVICES,
) -> Stack:
    """Start infrastructure (unless `infra` is given), topics and the services (all five
    unless `services` names fewer: the bench measures intake on its own too)."""
    infra = infra or start_infra(data_dir, mode=mode, ephemeral=ephemeral)
    stack = Stack(infra=infra, urls={}, log_dir=log_dir)
    try:
        env = {**os.environ, **infra.env(), **(extra_env or {})}
        settings = Settings(
            database_url=infra.database_url,
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            kafka_enable_idempotence=infra.kafka_enable_idempotence,
            kafka_topic_prefix=env.get("KAFKA_TOPIC_PREFIX", ""),
        )
        asyncio.run(ensure_topics(settings))
        for name in services:
            port = DEFAULT_PORTS[name] if fixed_ports else free_port()
            child_env = {**env, "SLRT_HTTP_PORT": str(port), "SLRT_HTTP_HOST": "127.0.0.1"}
            if "intake" in stack.urls and "SLRT_INTAKE_URL" not in env:
                # Documents fetches the files citizens sent from intake's API.
                child_env["SLRT_INTAKE_URL"] = stack.urls["intake"]
            if name == "intake" and "SLRT_SMTP_PORT" not in env:
                # The offices' e-mail arrives over SMTP (see README: every channel).
                smtp_port = SMTP_PORT if fixed_ports else free_port()
                child_env["SLRT_SMTP_PORT"] = str(smtp_port)
                stack.smtp_port = smtp_port
            out: int | object = subprocess.DEVNULL
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                out = (log_dir / f"{name}.log").open("ab")
            elif not ephemeral:
                out = None  # `make up`: the services log to this terminal
            stack.processes[name] = subprocess.Popen(  # noqa: S603  (our own modules)
                [sys.executable, "-m", f"services.{name}"],
                env=child_env,
                cwd=REPO_ROOT,
                stdout=out,  # type: ignore[arg-type]
                stderr=subprocess.STDOUT,
            )
            stack.urls[name] = f"http://127.0.0.1:{port}"
        _wait_healthy(stack.urls, stack.processes, timeout)
    except BaseException:
        stack.stop()
        raise
    return stack


@contextlib.contextmanager
def running_stack(data_dir: Path, **kwargs: object) -> Iterator[Stack]:
    stack = start_stack(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield stack
    finally:
        stack.stop()


def up(data_dir: Path | None = None) -> None:
    """Run everything in the foreground until Ctrl-C."""
    data_dir = data_dir or Settings().slrt_data_dir
    mode = os.environ.get("SLRT_INFRA", "embedded")
    os.environ.setdefault("SLRT_LOG_FORMAT", "console")
    os.environ.setdefault("SLRT_DEMO_DATA", "true")  # a small synthetic DTKS extract
    stack = start_stack(data_dir, mode=mode)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    width = max(len(n) for n in stack.urls)
    print("\nSLRT is running.  Ctrl-C stops everything.\n", flush=True)
    infra = stack.infra
    print(f"  {'postgresql'.ljust(width)}  {infra.database_url}  ({infra.database_backend})")
    print(f"  {'kafka'.ljust(width)}  {infra.kafka_bootstrap_servers}  ({infra.kafka_backend})")
    for name, url in stack.urls.items():
        print(f"  {name.ljust(width)}  {url}   (API docs: {url}/docs)")
    if stack.smtp_port:
        print(f"  {'e-mail'.ljust(width)}  smtp://127.0.0.1:{stack.smtp_port}  (intake's mailbox)")
    print(f"\n  data kept under {data_dir}")
    print(
        "  a staff token:  .venv/bin/slrt token --staff-id demo --office lumajang --role officer\n",
        flush=True,
    )
    try:
        while not stopping:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    print(f"service {name} exited with {proc.returncode}; stopping", flush=True)
                    stopping = True
            time.sleep(0.3)
    finally:
        print("stopping services, broker and database ...", flush=True)
        stack.stop()
        print("stopped.", flush=True)
