"""What every SLRT command line shares (`slrt …` and `python -m services.<name> …`).

- `--help` everywhere exits 0;
- a failure exits non-zero with ONE line on stderr, no traceback: a usage error (2), a
  refusal (`Refused`, with its code), a `SystemExit("message")`, anything else (1);
- tables as tables (`print_table`, rich), machine output with `--json` (`print_json`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table

from shared.refusal import Refused

# Commands whose own parser takes the rest of the line (and its own --help).
PASSTHROUGH: dict[str, Any] = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "help_option_names": [],
}


def new_app(help_text: str) -> typer.Typer:
    """A (sub-)command group in the house's style."""
    return typer.Typer(
        help=help_text,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def logs_to_stderr() -> None:
    """A one-off command's log lines go to stderr: stdout is its answer (a table, JSON).
    Call after `configure_logging`."""
    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def fail(prog: str, message: str, code: int = 1) -> NoReturn:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"{prog}: {first}", file=sys.stderr)
    raise SystemExit(code)


def run(app: typer.Typer, argv: Sequence[str] | None, prog: str) -> NoReturn:
    """Run `app` on `argv` (default: the process's arguments) and exit with its code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = typer.main.get_command(app).main(args=args, prog_name=prog, standalone_mode=False)
    except typer.TyperException as exc:  # usage errors and the like, from the parser
        fail(prog, str(exc.format_message()), int(getattr(exc, "exit_code", 2)))
    except typer.Abort:
        fail(prog, "aborted", 1)
    except Refused as exc:
        fail(prog, f"refused ({exc.code}): {exc.message}", 1)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except SystemExit as exc:
        if isinstance(exc.code, str):
            fail(prog, exc.code, 1)
        raise
    except Exception as exc:
        fail(prog, f"{type(exc).__name__}: {exc}", 1)
    raise SystemExit(rv if isinstance(rv, int) else 0)


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode())
    sys.stdout.write("\n")


def print_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    empty: str = "none",
) -> None:
    """A table on stdout; on a pipe it is as wide as it needs (nothing cut)."""
    materialised = [[("" if v is None else str(v)) for v in row] for row in rows]
    console = Console(width=None if sys.stdout.isatty() else 240, soft_wrap=False)
    if not materialised:
        console.print(f"{title}: {empty}" if title else empty)
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in materialised:
        table.add_row(*row)
    console.print(table)


def passthrough(app: typer.Typer, name: str, fn: Callable[[list[str]], Any], help: str) -> None:
    """Add `name`, whose own parser (argparse) takes every argument after it."""

    def command(ctx: typer.Context) -> None:
        fn(list(ctx.args))

    app.command(name, help=help, context_settings=PASSTHROUGH)(command)
