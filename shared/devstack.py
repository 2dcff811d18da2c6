"""The whole system on one machine: infrastructure, topics, the five service processes and
the citizens' public portal.

`slrt up` (what `make up` runs) and the end-to-end tests and bench use the same code, so
what the tests prove is what an engineer starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.auth import DEV_KEY_DIR, ensure_dev_key_pair
from shared.dbroles import may_manage_roles, service_dsns, setup_database
from shared.infra import Infra, free_port, start_infra
from shared.kafka import SERVICES, ensure_topics
from shared.logging import get_logger
from shared.settings import DEFAULT_PORTS, REPO_ROOT, Settings, get_settings

log = get_logger(__name__)


SMTP_PORT = 8025  # `make up`: intake's SMTP endpoint for the offices' e-mail
DASHBOARD = "dashboard"  # the staff web app, started after the services it reads
_PRIVATE_KEY_VARS = ("SLRT_JWT_PRIVATE_KEY", "SLRT_JWT_PRIVATE_KEY_FILE")


def staff_token_keys(env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """The staff-token key pair for this stack: what the environment names, or else a
    development pair made once under `<data_dir>/keys/`. This process gets the private key
    too (the bench and the tests mint tokens), the services only the public one."""
    if _key_named(env, "SLRT_JWT_PUBLIC_KEY"):
        return {}
    private, public = ensure_dev_key_pair(data_dir / DEV_KEY_DIR)
    keys = {"SLRT_JWT_PRIVATE_KEY_FILE": str(private), "SLRT_JWT_PUBLIC_KEY_FILE": str(public)}
    if not _key_named(os.environ, "SLRT_JWT_PRIVATE_KEY"):
        os.environ.update(keys)
        get_settings.cache_clear()
    return keys


def _key_named(env: Mapping[str, str], var: str) -> bool:
    """The key is given inline, or as a file that is there (a file of an earlier stack of
    this process, gone with its data directory, names nothing: the bench runs several)."""
    if env.get(var):
        return True
    path = env.get(f"{var}_FILE")
    return path is not None and path != "" and Path(path).is_file()


def process_env(name: str, env: dict[str, str], urls: dict[str, str]) -> dict[str, str]:
    """What one process is given: the five services lose the private key (they verify
    tokens, they cannot mint); the dashboard gets the services' addresses."""
    if name != DASHBOARD:
        return {k: v for k, v in env.items() if k not in _PRIVATE_KEY_VARS}
    return {**env, **{f"SLRT_{n.upper()}_URL": u for n, u in urls.items()}}


# Processes beside the Kafka services: the portal (the citizens' public pages) reads
# through intake's and casework's APIs and has no topics of its own.
PUBLIC = ("portal",)
PROCESSES = (*SERVICES, *PUBLIC)
WITH_DASHBOARD = (*PROCESSES, DASHBOARD)  # everything `make up` runs


@dataclass
class Stack:
    infra: Infra
    urls: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: Path | None = None
    smtp_port: int | None = None  # intake's SMTP endpoint for e-mail
    log_copiers: list[threading.Thread] = field(default_factory=list)

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
        for copier in self.log_copiers:  # the last lines reach the log files
            copier.join(timeout=5)
        self.log_copiers.clear()
        self.infra.close()


_ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


def tee_output(proc: subprocess.Popen[bytes], log_dir: Path, name: str) -> threading.Thread:
    """Copy a service's output, line by line, to this terminal and to `log_dir/<name>.log`
    (appended, colours stripped), until the service exits."""
    log_dir.mkdir(parents=True, exist_ok=True)
    assert proc.stdout is not None
    source = proc.stdout

    def copy() -> None:
        terminal = sys.stdout.buffer
        with (log_dir / f"{name}.log").open("ab") as file:
            for line in iter(source.readline, b""):
                with contextlib.suppress(OSError, ValueError):
                    terminal.write(line)
                    terminal.flush()
                file.write(_ANSI.sub(b"", line))
                file.flush()
        source.close()

    thread = threading.Thread(target=copy, name=f"log-{name}", daemon=True)
    thread.start()
    return thread


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
    services: tuple[str, ...] = PROCESSES,
    tee: bool = False,
) -> Stack:
    """Start infrastructure (unless `infra` is given), topics and the services (the five
    and the portal unless `services` names fewer: the bench measures intake on its own).

    Each service's output goes to `log_dir/<service>.log` when a `log_dir` is given (and to
    this terminal as well with `tee`, as `make up` does), else to this terminal, or nowhere
    for an `ephemeral` stack."""
    infra = infra or start_infra(data_dir, mode=mode, ephemeral=ephemeral)
    stack = Stack(infra=infra, urls={}, log_dir=log_dir)
    try:
        env = {**os.environ, **infra.env(), **(extra_env or {})}
        env.update(staff_token_keys(env, data_dir))
        settings = Settings(
            database_url=infra.database_url,
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            kafka_enable_idempotence=infra.kafka_enable_idempotence,
            kafka_topic_prefix=env.get("KAFKA_TOPIC_PREFIX", ""),
        )
        asyncio.run(ensure_topics(settings))
        # Least privilege: where this stack's database URI may manage roles (the embedded
        # PostgreSQL's superuser, the tests' databases on it), the roles are made and every
        # schema migrated (as the owner role) here, and each process connects as its own
        # role. Any other database given by DATABASE_URL is used as it is.
        role_dsns: dict[str, str] = {}
        if asyncio.run(may_manage_roles(infra.database_url)):
            asyncio.run(setup_database(infra.database_url))
            role_dsns = service_dsns(infra.database_url)
        ports = {name: DEFAULT_PORTS[name] if fixed_ports else free_port() for name in services}
        if "documents" in ports:
            # Links to documents' public pages (QR verification, letter downloads), as
            # documents and notifications print them: where documents really listens.
            env.setdefault("SLRT_PUBLIC_BASE_URL", f"http://127.0.0.1:{ports['documents']}")
        # Where the services find each other's internal APIs, and the public portal (the
        # status page and survey links in messages).
        for name, variable in (
            ("intake", "SLRT_INTAKE_URL"),
            ("casework", "SLRT_CASEWORK_URL"),
            ("portal", "SLRT_PORTAL_URL"),
        ):
            if name in ports:
                env.setdefault(variable, f"http://127.0.0.1:{ports[name]}")
        for name in services:
            port = ports[name]
            child_env = {
                **process_env(name, env, stack.urls),
                "SLRT_HTTP_PORT": str(port),
                "SLRT_HTTP_HOST": "127.0.0.1",
            }
            if name in role_dsns:
                child_env["DATABASE_URL"] = role_dsns[name]
            if name == "intake" and "SLRT_SMTP_PORT" not in env:
                # The offices' e-mail arrives over SMTP (see README: every channel).
                smtp_port = SMTP_PORT if fixed_ports else free_port()
                child_env["SLRT_SMTP_PORT"] = str(smtp_port)
                stack.smtp_port = smtp_port
            out: int | object = subprocess.DEVNULL
            if log_dir is not None and tee:
                out = subprocess.PIPE  # `make up`: copied to the terminal and the log file
                child_env["PYTHONUNBUFFERED"] = "1"
            elif log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                out = (log_dir / f"{name}.log").open("ab")
            elif not ephemeral:
                out = None  # the services log to this terminal
            stack.processes[name] = subprocess.Popen(  # noqa: S603  (our own modules)
                [sys.executable, "-m", f"services.{name}"],
                env=child_env,
                cwd=REPO_ROOT,
                stdout=out,  # type: ignore[arg-type]
                stderr=subprocess.STDOUT,
            )
            if log_dir is not None and tee:
                stack.log_copiers.append(tee_output(stack.processes[name], log_dir, name))
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


def up(data_dir: Path | None = None, *, fixed_ports: bool = True) -> None:
    """Run everything in the foreground until Ctrl-C. The services log to this terminal and
    to `<data_dir>/logs/<service>.log` (the broker to `tansu.log` there)."""
    data_dir = data_dir or Settings().slrt_data_dir
    mode = os.environ.get("SLRT_INFRA", "embedded")
    os.environ.setdefault("SLRT_LOG_FORMAT", "console")
    os.environ.setdefault("SLRT_DEMO_DATA", "true")  # a small synthetic DTKS extract
    # The analysts' read-only role may log in on the local stack (README "For analysts").
    os.environ.setdefault("SLRT_ANALYST_PASSWORD", "analyst-dev")
    logs = data_dir / "logs"
    stack = start_stack(
        data_dir,
        mode=mode,
        fixed_ports=fixed_ports,
        log_dir=logs,
        tee=True,
        services=WITH_DASHBOARD,
    )
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
        if name != DASHBOARD:
            print(f"  {name.ljust(width)}  {url}   (API docs: {url}/docs)")
    if stack.smtp_port:
        print(f"  {'e-mail'.ljust(width)}  smtp://127.0.0.1:{stack.smtp_port}  (intake's mailbox)")
    print(f"\n  data kept under {data_dir}, logs under {logs}")
    print(
        "  rebuild the views (now, or after Ctrl-C):  .venv/bin/slrt rebuild [casework|documents]"
    )
    print(
        "  a staff token:  .venv/bin/slrt token --staff-id demo --office lumajang --role officer",
        flush=True,
    )
    print(
        "  analysts (read-only, views only): user slrt_analyst, password "
        f"{os.environ['SLRT_ANALYST_PASSWORD']!r}; .venv/bin/slrt report --office kupang "
        "--month YYYY-MM",
        flush=True,
    )
    if DASHBOARD in stack.urls:
        print(
            f"\n  staff web app:  {stack.urls[DASHBOARD]}/\n"
            "  the first account (in another terminal; asks for the password):\n"
            f"    DATABASE_URL='{infra.database_url}' \\\n"
            "    .venv/bin/slrt staff create --admin --office lumajang "
            "--name 'Admin Lumajang' --username admin\n",
            flush=True,
        )
    else:
        print(flush=True)
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
