"""`python -m services.<name> …`: one service's command line, the same shape for all.

    python -m services.<name>                 serve (what `make up` runs)
    python -m services.<name> serve           the same
    python -m services.<name> rebuild         refold the views (casework, documents)
    python -m services.<name> dead-letters list [--open] [--json]
    python -m services.<name> dead-letters replay ID… | --all [--by WHO] [--json]
    …and the service's own commands (eligibility: import, load-demo, generate;
    dashboard: staff)

`--help` exits 0 and starts nothing. One-off commands use DATABASE_URL, or `make up`'s
database (running, or started for the command and stopped after).
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from fastapi import FastAPI

from shared import clikit
from shared.consumer import Consumer
from shared.db import connect, create_pool
from shared.dead_letters import DeadLetter, Replayed, list_dead_letters, replay
from shared.localdb import command_database
from shared.logging import configure_logging

Rebuild = Callable[[asyncpg.Pool], Awaitable[str]]
# A command of the service's own whose parser takes the rest of the line: (run, help).
Passthrough = tuple[Callable[[list[str]], Any], str]


def operator() -> str:
    """Who is at the keyboard, for the replay record (`--by` overrides)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return f"uid {os.getuid()}"


def dead_letter_rows(letters: list[DeadLetter]) -> list[list[Any]]:
    return [
        [
            d.ref,
            d.received_at.strftime("%Y-%m-%d %H:%M:%S%z"),
            d.topic,
            d.event_type,
            d.reason_code or "",
            d.reason[:160],
            "open" if d.open else "settled",
            f"{d.last_result} by {d.last_replayed_by}" if d.last_result else "",
        ]
        for d in letters
    ]


DEAD_LETTER_COLUMNS = ("id", "received", "topic", "event", "code", "reason", "state", "replay")


def print_replays(done: list[Replayed], as_json: bool) -> None:
    if as_json:
        clikit.print_json([r.as_json() for r in done])
        return
    clikit.print_table(
        ("id", "result", "detail"),
        ([f"{r.service}:{r.dead_letter_id}", r.result, r.detail or ""] for r in done),
        title="replayed",
        empty="nothing to replay",
    )


def build_app(
    name: str,
    create_app: Callable[[], FastAPI],
    *,
    migrations: Path | None,
    rebuild: Rebuild | None = None,
    consumes: bool = True,
    commands: Mapping[str, Passthrough] | None = None,
    workers: int = 1,
) -> typer.Typer:
    app = clikit.new_app(f"SLRT {name}: serve it, or run one of its commands.")

    def _serve() -> None:
        # One process, or `workers` behind one port (shared/workers.py; intake).
        from shared.workers import serve_workers

        serve_workers(name, create_app, workers)

    @app.callback(invoke_without_command=True)
    def default(ctx: typer.Context) -> None:
        """With no command: serve the API (and consume, relay…), as `serve`."""
        if ctx.invoked_subcommand is None:
            _serve()

    @app.command("serve")
    def serve_command() -> None:
        """Serve the API (and consume, relay…) until stopped."""
        _serve()

    def one_off(what: str, work: Callable[[str], Coroutine[Any, Any, None]]) -> None:
        configure_logging(name)
        clikit.logs_to_stderr()
        with command_database(f"{name} {what}") as dsn:
            asyncio.run(work(dsn))

    if rebuild is not None:
        refold = rebuild

        @app.command("rebuild")
        def rebuild_command() -> None:
            """Drop this service's views and refold them from the event store."""
            from shared.runtime import migrate_service

            async def work(dsn: str) -> None:
                await migrate_service(dsn, name, migrations)
                pool = await create_pool(dsn, max_size=2)
                try:
                    print(f"rebuilt: {await refold(pool)}")
                finally:
                    await pool.close()

            one_off("rebuild", work)

    if consumes:
        letters = clikit.new_app("What this service could not apply, and replaying it.")
        app.add_typer(letters, name="dead-letters")

        @letters.command("list")
        def list_command(
            only_open: Annotated[
                bool, typer.Option("--open", help="only those not yet replayed")
            ] = False,
            as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
        ) -> None:
            """This service's dead letters with their reason, oldest first."""

            async def work(dsn: str) -> None:
                conn = await connect(dsn)
                try:
                    found = await list_dead_letters(conn, name, only_open=only_open)
                finally:
                    await conn.close()
                if as_json:
                    clikit.print_json([d.as_json() for d in found])
                else:
                    clikit.print_table(
                        DEAD_LETTER_COLUMNS, dead_letter_rows(found), title=f"{name} dead letters"
                    )

            one_off("dead-letters list", work)

        @letters.command("replay")
        def replay_command(
            ids: Annotated[
                list[int] | None, typer.Argument(help="dead letter ids (see `list`)")
            ] = None,
            every: Annotated[
                bool, typer.Option("--all", help="every open dead letter of this service")
            ] = False,
            by: Annotated[
                str | None, typer.Option("--by", help="who replays (recorded); default: you")
            ] = None,
            as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
        ) -> None:
            """Apply dead letters again through this service's consumer, after a fix.
            Idempotent: what was applied meanwhile is not applied twice. Each replay is
            recorded (who, when, result)."""
            if bool(ids) == every:
                raise typer.BadParameter("give dead letter ids or --all (one of the two)")

            async def work(dsn: str) -> None:
                from shared.runtime import ServiceRuntime, migrate_service

                await migrate_service(dsn, name, migrations)
                runtime = create_app().state.runtime
                assert isinstance(runtime, ServiceRuntime)
                pool = await create_pool(dsn, max_size=2)
                runtime.use_pool(pool)
                try:
                    consumer = Consumer(pool, name, runtime.handlers)
                    done = await replay(
                        consumer, runtime.raw_handlers, ids=ids or None, by=by or operator()
                    )
                finally:
                    await pool.close()
                print_replays(done, as_json)
                if any(r.result == "failed" for r in done):
                    raise SystemExit(f"{sum(r.result == 'failed' for r in done)} replay(s) failed")

            one_off("dead-letters replay", work)

    for command_name, (fn, help_text) in (commands or {}).items():
        clikit.passthrough(app, command_name, fn, help_text)
    return app


def service_main(
    name: str,
    argv: list[str] | None,
    create_app: Callable[[], FastAPI],
    *,
    migrations: Path | None,
    rebuild: Rebuild | None = None,
    consumes: bool = True,
    commands: Mapping[str, Passthrough] | None = None,
    workers: int = 1,
) -> None:
    app = build_app(
        name,
        create_app,
        migrations=migrations,
        rebuild=rebuild,
        consumes=consumes,
        commands=commands,
        workers=workers,
    )
    clikit.run(app, sys.argv[1:] if argv is None else argv, f"python -m services.{name}")
