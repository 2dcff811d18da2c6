"""`slrt`: the one command line for operators and engineers (typer).

slrt up                          run the whole system locally (what `make up` does)
slrt serve SERVICE               run one service's process (`python -m services.SERVICE`)
slrt rebuild [SERVICE…]          refold casework's and/or documents' views from the store
slrt registry import FILE …      import a DTKS/DTSEN extract (also: load-demo, generate)
slrt token …                     mint a staff bearer token for local use
slrt staff create …              add a staff account to the web app (--admin for the first)
slrt retention run [--dry-run] [--as-of DATE]  erase people past their office's retention
slrt topics [--json]             create the Kafka topics that are missing; show them all
slrt dead-letters list [--service S] [--open] [--json]
slrt dead-letters replay S:ID… | --all [--service S] [--by WHO] [--json]
slrt export --from --to --office  the analytics views to Parquet and CSV
slrt report --office --month      an office's monthly report, HTML and PDF

Conventions (shared/clikit.py): `--help` everywhere exits 0; a failure exits non-zero with
one line on stderr; tables as tables, machine output with `--json`. One-off commands use
DATABASE_URL, or `make up`'s database (running, or started for the command and stopped
after).

Adding a command: a function `app.command()(fn)`, a group `app.add_typer(sub, name=…)`, or
a service's own command line `module_command(app, name, "services.x", "sub")` (shared
imports no service: such commands run in their own process). See "More commands" below.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import orjson
import typer

from analytics import cli as analytics_cli
from shared import clikit
from shared.contracts.vocab import Role
from shared.logging import configure_logging
from shared.settings import REPO_ROOT

# The services whose views a `rebuild` refolds (`python -m services.<name> rebuild`).
REBUILDABLE = ("casework", "documents")
# What `slrt serve` runs: the five services, the staff web app, the citizens' portal.
SERVABLE = (
    "intake",
    "eligibility",
    "documents",
    "casework",
    "notifications",
    "dashboard",
    "portal",
)
# Whose dead letters `replay` can take back (the processes that consume).
CONSUMING = SERVABLE[:-1]

app = clikit.new_app("SLRT: run, inspect and repair the system.")


def _python_m(module: str, *args: str, env: dict[str, str] | None = None) -> int:
    """Run `python -m module args…` here, stdin/stdout/stderr passed through."""
    done = subprocess.run(  # noqa: S603  (our own module, arguments as given)
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        check=False,
    )
    return done.returncode


def module_command(
    parent: typer.Typer, name: str, module: str, *prefix: str, help: str = ""
) -> None:
    """`slrt … name ARGS` runs `python -m module prefix… ARGS` (its own --help, its exit
    code): how a service's own command line becomes one of `slrt`'s."""

    def run(argv: list[str]) -> None:
        code = _python_m(module, *prefix, *argv)
        if code:
            raise SystemExit(code)

    clikit.passthrough(parent, name, run, help or f"`python -m {module} {' '.join(prefix)}`")


# ---------------------------------------------------------------- run the system


@app.command()
def up() -> None:
    """Run the whole system locally: PostgreSQL, the broker, the services (`make up`)."""
    configure_logging("slrt", fmt="console")
    from shared.devstack import up as run_up

    run_up()


class Servable(StrEnum):
    intake = "intake"
    eligibility = "eligibility"
    documents = "documents"
    casework = "casework"
    notifications = "notifications"
    dashboard = "dashboard"
    portal = "portal"


@app.command()
def serve(
    service: Annotated[Servable, typer.Argument(help="which process", show_default=False)],
) -> None:
    """Run one service's process until stopped (what `make up` starts for each)."""
    os.execv(  # noqa: S606  (replaces this process: signals reach the service)
        sys.executable, [sys.executable, "-m", f"services.{service.value}", "serve"]
    )


def rebuild(services: list[str]) -> int:
    """Rebuild the named services' views (all that have one when none is named), one
    process each, on one database: `make up`'s is started once for all when it is stopped."""
    from shared.localdb import command_database

    unknown = [s for s in services if s not in REBUILDABLE]
    if unknown:
        raise typer.BadParameter(
            f"no rebuild for {', '.join(unknown)}; one of {', '.join(REBUILDABLE)}"
        )
    with command_database("slrt rebuild") as dsn:
        for name in services or REBUILDABLE:
            code = _python_m(f"services.{name}", "rebuild", env={**os.environ, "DATABASE_URL": dsn})
            if code != 0:
                raise SystemExit(f"{name} rebuild failed (exit {code})")
    return 0


@app.command("rebuild")
def rebuild_command(
    services: Annotated[
        list[str] | None,
        typer.Argument(help=f"any of {', '.join(REBUILDABLE)} (default: all)", show_default=False),
    ] = None,
) -> None:
    """Refold views from the event store; `make up` may be running or stopped."""
    rebuild(services or [])


registry = clikit.new_app("The DTKS/DTSEN registry (eligibility).")
app.add_typer(registry, name="registry")
module_command(
    registry, "import", "services.eligibility", "import", help="import an extract (FILE --source …)"
)
module_command(
    registry, "load-demo", "services.eligibility", "load-demo", help="load the demo extract"
)
module_command(
    registry, "generate", "services.eligibility", "generate", help="write a synthetic extract"
)

module_command(
    app, "staff", "services.dashboard", "staff", help="staff accounts of the web app (create)"
)

retention = clikit.new_app("The offices' retention rule of personal data (casework).")
app.add_typer(retention, name="retention")
module_command(
    retention,
    "run",
    "services.casework",
    "retention",
    "run",
    help="erase the people whose cases are all past retention ([--dry-run] [--as-of DATE])",
)

# The analysts' commands (analytics/cli.py): the views to files, the monthly report.
app.command("export")(analytics_cli.export_command)
app.command("report")(analytics_cli.report_command)


@app.command()
def token(
    staff_id: Annotated[str, typer.Option(help="the staff member's id")],
    office: Annotated[str, typer.Option(help="catalogue office id, e.g. lumajang")],
    role: Annotated[list[Role], typer.Option(help="a role (repeat for more)")],
    name: Annotated[str | None, typer.Option(help="the name shown to others")] = None,
    hours: Annotated[float, typer.Option(help="how long the token is good for")] = 8.0,
) -> None:
    """Mint a staff bearer token for local use (the key pair of `make up`, or
    SLRT_JWT_PRIVATE_KEY_FILE)."""
    from shared.auth import DEV_KEY_DIR, PRIVATE_KEY_FILE, mint_token
    from shared.settings import get_settings

    s = get_settings()
    if not (s.slrt_jwt_private_key or s.slrt_jwt_private_key_file):
        dev = s.slrt_data_dir / DEV_KEY_DIR / PRIVATE_KEY_FILE
        if not dev.exists():
            raise SystemExit(
                "no signing key: set SLRT_JWT_PRIVATE_KEY_FILE, or run `make up` once "
                f"(it makes a development key pair under {dev.parent})"
            )
        s = s.model_copy(update={"slrt_jwt_private_key_file": dev})
    roles = [r.value for r in role]
    print(mint_token(staff_id, office, roles, name=name, settings=s, ttl=timedelta(hours=hours)))


@app.command()
def topics(
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Create the Kafka topics that do not exist yet (KAFKA_TOPIC_PARTITIONS partitions
    each); show every topic with its partitions."""
    from shared.kafka import all_topic_names, ensure_topics, topic_partitions
    from shared.settings import get_settings, topic_name

    settings = get_settings()
    names = [topic_name(settings, n) for n in all_topic_names()]

    async def work() -> tuple[list[str], dict[str, int]]:
        created = await ensure_topics(settings, names)
        return created, await topic_partitions(settings, names)

    created, partitions = asyncio.run(work())
    rows = [
        {"topic": n, "partitions": partitions[n], "created": n in created} for n in sorted(names)
    ]
    if as_json:
        clikit.print_json(rows)
        return
    clikit.print_table(
        ("topic", "partitions", "state"),
        ([r["topic"], r["partitions"], "created now" if r["created"] else "existed"] for r in rows),
        title=f"{len(created)} created, {len(names) - len(created)} existed",
    )


# ---------------------------------------------------------------- dead letters

dead_letters = clikit.new_app(
    "What a service could not apply (with the reason), and replaying it after a fix."
)
app.add_typer(dead_letters, name="dead-letters")


def _service_option(help_text: str) -> Any:
    return typer.Option("--service", "-s", help=help_text, show_default=False)


@dead_letters.command("list")
def dead_letters_list(
    service: Annotated[str | None, _service_option("only this service's")] = None,
    only_open: Annotated[bool, typer.Option("--open", help="only those not yet replayed")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Every service's dead letters (or one's), oldest first, with the reason and the last
    replay."""
    from shared.db import connect
    from shared.dead_letters import DeadLetter, list_dead_letters, services_with_dead_letters
    from shared.localdb import command_database
    from shared.service_cli import DEAD_LETTER_COLUMNS, dead_letter_rows

    async def work(dsn: str) -> list[DeadLetter]:
        conn = await connect(dsn)
        try:
            kept = await services_with_dead_letters(conn)
            if service is not None and service not in kept:
                raise typer.BadParameter(
                    f"{service} keeps no dead letters; one of {', '.join(kept) or 'none yet'}"
                )
            found: list[DeadLetter] = []
            for name in [service] if service else kept:
                found += await list_dead_letters(conn, name, only_open=only_open)
            return found
        finally:
            await conn.close()

    with command_database("slrt dead-letters list", say=_quiet) as dsn:
        found = asyncio.run(work(dsn))
    if as_json:
        clikit.print_json([d.as_json() for d in found])
    else:
        clikit.print_table(DEAD_LETTER_COLUMNS, dead_letter_rows(found), title="dead letters")


def _quiet(_message: str) -> None:
    """`list` is read often: which database it used is not news."""


def parse_refs(refs: list[str], service: str | None) -> dict[str, list[int]]:
    """`casework:12` or, with --service, `12`: {service: [ids]}."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for ref in refs:
        name, _, number = ref.rpartition(":")
        name = name or (service or "")
        if not name or not number.isdigit():
            raise typer.BadParameter(f"{ref!r}: give SERVICE:ID (as `list` shows) or --service")
        if service and name != service:
            raise typer.BadParameter(f"{ref!r} is not of --service {service}")
        if name not in CONSUMING:
            raise typer.BadParameter(f"{name}: not a consuming service ({', '.join(CONSUMING)})")
        wanted[name].append(int(number))
    return wanted


@dead_letters.command("replay")
def dead_letters_replay(
    refs: Annotated[
        list[str] | None, typer.Argument(help="SERVICE:ID as `list` shows", show_default=False)
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="every open dead letter")] = False,
    service: Annotated[str | None, _service_option("only this service's")] = None,
    by: Annotated[str | None, typer.Option(help="who replays (recorded); default: you")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Apply dead letters again through their service's consumer, after a fix; each replay
    is recorded (who, when, result). Idempotent: what is applied already stays once."""
    from shared.db import connect
    from shared.dead_letters import Replayed, services_with_dead_letters
    from shared.localdb import command_database
    from shared.service_cli import operator, print_replays

    if bool(refs) == every:
        raise typer.BadParameter("give SERVICE:ID… or --all (one of the two)")
    wanted = parse_refs(refs or [], service)
    done: list[Replayed] = []
    with command_database("slrt dead-letters replay") as dsn:
        if every:

            async def kept() -> list[str]:
                conn = await connect(dsn)
                try:
                    return await services_with_dead_letters(conn)
                finally:
                    await conn.close()

            names = [s for s in asyncio.run(kept()) if s in CONSUMING]
            wanted = {s: [] for s in ([service] if service else names)}
        for name, ids in wanted.items():
            args = [*map(str, ids)] if ids else ["--all"]
            proc = subprocess.run(  # noqa: S603  (our own module)
                [
                    sys.executable,
                    "-m",
                    f"services.{name}",
                    "dead-letters",
                    "replay",
                    *args,
                    "--by",
                    by or operator(),
                    "--json",
                ],
                cwd=REPO_ROOT,
                env={**os.environ, "DATABASE_URL": dsn},
                capture_output=True,
                check=False,
            )
            try:
                done += [Replayed(**_replayed(r)) for r in orjson.loads(proc.stdout)]
            except (orjson.JSONDecodeError, TypeError) as exc:
                why = proc.stderr.decode(errors="replace").strip().splitlines()
                raise SystemExit(
                    f"{name}: {why[-1] if why else f'replay failed (exit {proc.returncode})'}"
                ) from exc
    print_replays(done, as_json)
    failed = [r for r in done if r.result == "failed"]
    if failed:
        raise SystemExit(f"{len(failed)} of {len(done)} replays failed")


def _replayed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("service", "dead_letter_id", "result", "detail")}


# ---------------------------------------------------------------- more commands
# Other parts plug in here, one line each, e.g.:
#   app.add_typer(analytics_cli.app, name="export")   (a typer app of its own)
#   app.command("backup")(backup)                        (one function)
#   module_command(app, "report", "services.x", "report")  (a service's command line)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["help"]:  # as the image's default command says it
        args = ["--help", *args[1:]]
    clikit.run(app, args, "slrt")


if __name__ == "__main__":
    main()
