"""`slrt export` and `slrt report` (typer): the analytics views to files, the monthly report.

The database: `--dsn`, else `DATABASE_URL`, else `make up`'s (running, or started for the
command and stopped after it: `shared.localdb`). Both commands read only the `analytics`
views, so the analyst's own connection string works as `--dsn`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from analytics.views import VIEWS

if (
    TYPE_CHECKING
):  # pyarrow and matplotlib load only when a command runs (`slrt --help` stays quick)
    from analytics.export import Exported
    from analytics.report import MonthlyFigures

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)


@contextmanager
def _database(what: str, dsn: str | None) -> Iterator[str]:
    if dsn:
        yield dsn
        return
    from shared.localdb import command_database

    with command_database(what) as found:
        yield found


def _moment(text: str | None) -> datetime | None:
    """`2026-11-01` (midnight UTC) or a full ISO timestamp."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD) or timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


@app.command("export")
def export_command(
    since: Annotated[str | None, typer.Option("--from", help="From (date or timestamp).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Until, excluded.")] = None,
    office: Annotated[str | None, typer.Option(help="One office (catalogue id).")] = None,
    out: Annotated[Path, typer.Option(help="Directory for the files.")] = Path("export"),
    view: Annotated[
        list[str] | None, typer.Option(help=f"Only these views: {', '.join(VIEWS)}.")
    ] = None,
    dsn: Annotated[str | None, typer.Option(help="Database URI (default: DATABASE_URL).")] = None,
) -> None:
    """Write the analytics views to Parquet and CSV (one file of each per view), streaming."""
    start, end = _moment(since), _moment(until)
    unknown = [v for v in view or [] if v not in VIEWS]
    if unknown:
        raise typer.BadParameter(f"unknown view {', '.join(unknown)}; one of {', '.join(VIEWS)}")
    done = asyncio.run(_export(start, end, office, out, view, dsn))
    for e in done:
        typer.echo(f"{e.view}: {e.rows} rows -> {e.parquet}, {e.csv}")


async def _export(
    start: datetime | None,
    end: datetime | None,
    office: str | None,
    out: Path,
    views: list[str] | None,
    dsn: str | None,
) -> list[Exported]:
    from analytics.export import export_all
    from shared.db import connect

    with _database("slrt export", dsn) as url:
        conn = await connect(url)
        try:
            if not sys.stderr.isatty():
                return await export_all(
                    conn, out, since=start, until=end, office=office, views=views
                )
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,} baris"),
                TimeElapsedColumn(),
                transient=False,
            ) as bar:
                tasks: dict[str, object] = {}

                def progress(name: str, rows: int) -> None:
                    if name not in tasks:
                        tasks[name] = bar.add_task(name, total=None)
                    bar.update(tasks[name], completed=rows)  # type: ignore[arg-type]

                return await export_all(
                    conn, out, since=start, until=end, office=office, views=views, progress=progress
                )
        finally:
            await conn.close()


@app.command("report")
def report_command(
    office: Annotated[str, typer.Option(help="The office (catalogue id), e.g. kupang.")],
    month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="Directory for the HTML and PDF.")] = Path("laporan"),
    dsn: Annotated[str | None, typer.Option(help="Database URI (default: DATABASE_URL).")] = None,
) -> None:
    """The office's monthly report: an HTML page and a PDF in Bahasa Indonesia."""
    from analytics.report import charts, month_label, parse_month, render_html, render_pdf

    try:
        first = parse_month(month)
    except ValueError:
        raise typer.BadParameter(f"{month!r} is not a month (YYYY-MM)") from None
    figures = asyncio.run(_figures(office, first, dsn))
    pngs = charts(figures)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"laporan-{office}-{first:%Y-%m}"
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(render_html(figures, pngs), encoding="utf-8")
    pdf_path.write_bytes(render_pdf(figures, pngs))
    typer.echo(f"{month_label(first)}: {html_path}, {pdf_path}")


async def _figures(office: str, month: date, dsn: str | None) -> MonthlyFigures:
    from analytics.report import monthly_figures
    from shared.db import connect

    with _database("slrt report", dsn) as url:
        conn = await connect(url)
        try:
            try:
                figures = await monthly_figures(conn, office, month)
            except LookupError as exc:
                raise typer.BadParameter(str(exc)) from None
        finally:
            await conn.close()
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run as `slrt export ...` / `slrt report ...` (argv: the command and its options)."""
    app(args=argv, prog_name="slrt")
