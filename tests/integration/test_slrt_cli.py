"""The `slrt` command line's conventions (issue 18, point 8), run as a subprocess:
`--help` of every command and sub-command exits 0 (and starts nothing: each service's
`python -m services.X --help` too); a failure exits non-zero with one line on stderr and no
traceback; `slrt topics` is a table, and `--json` parses, on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import orjson
import pytest
import typer

from shared.cli import SERVABLE, app
from shared.infra import Infra
from shared.kafka import all_topic_names
from shared.settings import REPO_ROOT

pytestmark = pytest.mark.integration


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, "-m", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def command_paths() -> Iterator[list[str]]:
    """Every command and sub-command of `slrt`, from its own tree (none is forgotten)."""
    root = typer.main.get_command(app)

    def walk(command: typer.core.TyperGroup | object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    yield from walk(root, [])


def test_every_slrt_command_has_help_that_exits_0() -> None:
    paths = list(command_paths())
    assert ["dead-letters", "replay"] in paths and ["registry", "import"] in paths
    assert ["staff"] in paths and ["topics"] in paths and ["serve"] in paths
    for path in paths:
        done = run("shared.cli", *path, "--help")
        assert done.returncode == 0, (path, done.stderr)
        assert "usage" in done.stdout.lower(), (path, done.stdout)
    # The services' own commands behind `slrt`: argparse's help, exit 0 too.
    done = run("shared.cli", "staff", "create", "--help")
    assert done.returncode == 0 and "--username" in done.stdout


@pytest.mark.parametrize("service", SERVABLE)
def test_each_service_help_exits_0_and_starts_nothing(service: str) -> None:
    done = run(f"services.{service}", "--help")
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "service_started" not in done.stdout + done.stderr
    if service != "portal":
        assert "dead-letters" in done.stdout
    for sub in (["serve"], ["dead-letters", "list"]) if service != "portal" else (["serve"],):
        assert run(f"services.{service}", *sub, "--help").returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch"], "No such command"),
        (["rebuild", "intake"], "one of casework, documents"),
        (["serve", "nowhere"], "nowhere"),
        (["dead-letters", "replay"], "give SERVICE:ID"),
        (["dead-letters", "replay", "12"], "SERVICE:ID"),
        (["registry", "import", "/no/such/extract.csv", "--source", "DTKS",
          "--snapshot-date", "2026-01-31"], "no such file"),
    ],
)  # fmt: skip
def test_a_failure_is_one_line_on_stderr_and_non_zero(args: list[str], says: str) -> None:
    done = run("shared.cli", *args, env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert says in lines[0] and "Traceback" not in done.stderr


def test_a_database_that_is_not_there_is_one_line_too() -> None:
    done = run(
        "shared.cli", "dead-letters", "list", env={"DATABASE_URL": "postgresql://u@127.0.0.1:1/x"}
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "slrt: ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    ]


def test_topics_is_a_table_and_json_on_the_real_broker(infra: Infra) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": str(infra.kafka_enable_idempotence).lower(),
        "KAFKA_TOPIC_PREFIX": f"clitest{os.getpid()}.",
        "KAFKA_TOPIC_PARTITIONS": "2",
    }
    first = run("shared.cli", "topics", "--json", env=env)
    assert first.returncode == 0, first.stderr
    rows = orjson.loads(first.stdout)
    assert {r["topic"] for r in rows} == {f"clitest{os.getpid()}.{n}" for n in all_topic_names()}
    assert all(r["created"] and r["partitions"] == 2 for r in rows), rows
    table = run("shared.cli", "topics", env=env)
    assert table.returncode == 0, table.stderr
    assert f"0 created, {len(rows)} existed" in table.stdout
    assert "partitions" in table.stdout and "['" not in table.stdout  # not a Python list
