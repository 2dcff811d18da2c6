"""The analysts' schema over a seeded store (real events appended through the store, on the
embedded PostgreSQL): the role reads only `analytics`, no view shows personal data, the
views and their as-of functions say what the events say, and the monthly report's figures
match counts made here, independently, from the seeded events themselves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import holidays
import pyarrow.parquet as pq
import pytest

from analytics.report import monthly_figures
from analytics.setup import PASSWORD_ENV, PEPPER_ENV, ROLE, pseudonym
from services.casework.bootstrap import MIGRATIONS as CASEWORK_MIGRATIONS
from shared.catalogue.loader import load_catalogue
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseClosed,
    CaseForwarded,
    CaseMerged,
    CasePaused,
    CaseResumed,
    DeadlineBreached,
    SurveyAnswered,
)
from shared.contracts.events import CaseAssigned, CaseResolved, ComplaintRegistered
from shared.contracts.ikm import ELEMENTS, grade
from shared.db import connect
from shared.runtime import migrate_service
from shared.settings import REPO_ROOT
from tests.analytics_seed import OFFICE, PERSONAL, WITA, Seed, seed_month

pytestmark = pytest.mark.integration

PEPPER = "a-test-pepper-not-a-real-one"
PASSWORD = "analyst-test-password"
PHONE_LIKE = re.compile(r"(?<![0-9a-f])(?:\+?62|0)8\d{2}[\d*]{5,}")
VIEWS = ("events", "cases", "transitions", "sla_steps", "ikm_answers")
MONTH = date(2026, 10, 1)


@pytest.fixture
async def seeded(database_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Seed]:
    monkeypatch.setenv(PEPPER_ENV, PEPPER)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    # The real runner, as a service's start runs it (casework's own schema too).
    await migrate_service(database_url, "casework", CASEWORK_MIGRATIONS)
    conn = await connect(database_url)
    try:
        seed = await seed_month(conn)
    finally:
        await conn.close()
    return database_url, seed


async def _as_analyst(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, user=ROLE, password=PASSWORD)


# ---- the role ---------------------------------------------------------------------------


async def test_the_analyst_reads_analytics_only_and_writes_nothing(
    seeded: tuple[str, Seed],
) -> None:
    dsn, seed = seeded
    conn = await _as_analyst(dsn)
    try:
        for view in VIEWS:
            assert await conn.fetchval(f"SELECT count(*) FROM analytics.{view}") > 0, view
        assert await conn.fetchval(
            "SELECT count(*) FROM analytics.cases_as_of(now(), 'kupang')"
        ) == sum(
            1 for x in seed.log if isinstance(x.event, ComplaintRegistered) and x.office == OFFICE
        )
        refused = (
            "SELECT * FROM eventstore.events LIMIT 1",
            "SELECT * FROM eventstore.outbox LIMIT 1",
            "SELECT * FROM casework.processed_events LIMIT 1",
            "SELECT * FROM analytics_private.pepper",
            "INSERT INTO analytics.days_off VALUES ('2030-01-02', 'x')",
            "DELETE FROM analytics.offices",
            "UPDATE analytics.service_standards SET time_value = 1",
            "CREATE TABLE analytics.mine (x int)",
            "CREATE VIEW analytics.peek AS SELECT 1",
            "CREATE TABLE public.mine (x int)",
        )
        for sql in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
        # What the role holds, as PostgreSQL says it: no schema but analytics.
        schemas = await conn.fetch(
            """SELECT nspname FROM pg_namespace
               WHERE has_schema_privilege($1, oid, 'USAGE')
                 AND nspname NOT IN ('pg_catalog', 'information_schema', 'public')
                 AND nspname NOT LIKE 'pg_%'""",
            ROLE,
        )
        assert [r["nspname"] for r in schemas] == ["analytics"]
        writable = await conn.fetchval(
            """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'analytics' AND c.relkind IN ('r', 'v')
                 AND (has_table_privilege($1, c.oid, 'INSERT')
                      OR has_table_privilege($1, c.oid, 'UPDATE')
                      OR has_table_privilege($1, c.oid, 'DELETE'))""",
            ROLE,
        )
        assert writable == 0
    finally:
        await conn.close()


async def test_no_view_shows_personal_data(seeded: tuple[str, Seed]) -> None:
    """Every column of every view (and the reference tables), every row, as text."""
    dsn, seed = seeded
    conn = await _as_analyst(dsn)
    try:
        relations = [
            r["table_name"]
            for r in await conn.fetch(
                """SELECT table_name FROM information_schema.tables
                   WHERE table_schema = 'analytics' ORDER BY table_name"""
            )
        ]
        assert set(VIEWS) <= set(relations)
        needles = [v.lower() for v in PERSONAL.values()]
        needles += [
            x.event.applicant.nik
            for x in seed.log
            if isinstance(x.event, ComplaintRegistered) and x.event.applicant.nik
        ]
        needles += ["yohana", "sintetis", "example.org", "rahasia"]
        rows_seen = 0
        for relation in relations:
            for row in await conn.fetch(f"SELECT t::text AS line FROM analytics.{relation} t"):
                rows_seen += 1
                line = row["line"].lower()
                found = [n for n in needles if n in line]
                # A phone number, whole or masked ("0812****7766"), not the digits that
                # a timestamp's microseconds or a UUID can happen to hold.
                found += PHONE_LIKE.findall(line)
                assert not found, f"analytics.{relation} shows {found}: {row['line']}"
        assert rows_seen > 50
        # Repeat requesters are counted by a stable pseudonym, not by who they are.
        keys = {
            r["case_id"]: r["requester_key"]
            for r in await conn.fetch("SELECT case_id, requester_key FROM analytics.cases")
        }
        c1, c7, c9 = seed.cases["c1"], seed.cases["c7"], seed.cases["c9"]
        # (the NIK is sealed in the store: the key is the HMAC of its blind index)
        assert keys[c1] == keys[c7] is not None
        assert keys[c1] != pseudonym(PEPPER.encode(), f"nik:{PERSONAL['nik']}")
        assert keys[c9] is None  # anonymous
        assert len({k for k in keys.values() if k}) == len(keys) - 2  # c1 = c7; c9 none
    finally:
        await conn.close()


# ---- the views, now and as of --------------------------------------------------------------


async def test_cases_view_and_as_of(seeded: tuple[str, Seed]) -> None:
    dsn, seed = seeded
    conn = await _as_analyst(dsn)
    try:
        rows = {r["case_id"]: r for r in await conn.fetch("SELECT * FROM analytics.cases")}
        c3 = rows[seed.cases["c3"]]
        assert (c3["service"], c3["channel"], c3["outcome"]) == (
            "public-complaint",
            "letter",
            "letter_issued",
        )
        assert c3["letter_returns"] == 1 and c3["sla_met"] is False
        assert c3["working_days_to_close"] == 7
        c4 = rows[seed.cases["c4"]]
        assert c4["paused"] == timedelta(days=1) and c4["sla_met"] is True
        c7 = rows[seed.cases["c7"]]
        assert c7["referred_to"] == "dinas-kesehatan" and c7["outcome"] == "referred"
        c6 = rows[seed.cases["c6"]]
        assert c6["breached"] and c6["overdue"] and c6["stage"] == "assigned"
        # c5 was answered on 4 November: open as of the end of October, closed now.
        c5 = seed.cases["c5"]
        assert rows[c5]["closed_at"] is not None
        end = datetime(2026, 11, 1, tzinfo=WITA)
        then = {
            r["case_id"]: r
            for r in await conn.fetch("SELECT * FROM analytics.cases_as_of($1, 'kupang')", end)
        }
        assert then[c5]["closed_at"] is None and then[c5]["stage"] == "registered"
        assert seed.cases["c11"] not in then  # registered in November
        assert seed.cases["c10"] not in then  # Lumajang
        # ... and the setting is back afterwards: the plain view is "now" again.
        assert await conn.fetchval("SELECT analytics.as_of()") == datetime.max.replace(
            tzinfo=UTC
        ) or await conn.fetchval("SELECT analytics.as_of() = 'infinity'")
        # Every view has its as-of function, and it filters on the event time.
        for view in VIEWS:
            now_n = await conn.fetchval(f"SELECT count(*) FROM analytics.{view}")
            then_n = await conn.fetchval(
                f"SELECT count(*) FROM analytics.{view}_as_of($1)",
                datetime(2026, 10, 10, tzinfo=UTC),
            )
            assert then_n < now_n, view
        steps = await conn.fetch(
            "SELECT role, action, working_days_at_step FROM analytics.sla_steps "
            "WHERE case_id = $1 ORDER BY acted_at",
            seed.cases["c3"],
        )
        assert [(s["role"], s["action"]) for s in steps] == [
            ("head_of_division", "reviewed"),
            ("secretary", "returned"),
            ("drafter", "drafted"),
            ("head_of_division", "reviewed"),
            ("secretary", "reviewed"),
            ("head_of_office", "signed"),
        ]
        assert [s["working_days_at_step"] for s in steps] == [1, 1, 1, 1, 1, 1]
        moves = await conn.fetch(
            "SELECT from_stage, to_stage FROM analytics.transitions WHERE case_id = $1 ORDER BY at",
            seed.cases["c4"],
        )
        assert [(m["from_stage"], m["to_stage"]) for m in moves] == [
            (None, "registered"),
            ("registered", "in_progress"),
            ("in_progress", "waiting_for_citizen"),
            ("waiting_for_citizen", "in_progress"),
            ("in_progress", "answered"),
        ]
    finally:
        await conn.close()


# ---- the monthly report ---------------------------------------------------------------------

_STOPS = (CaseAnswered, CaseResolved, CaseClosed, CaseForwarded, CaseMerged)
_DAYS_OFF = holidays.country_holidays("ID", categories=("public", "government"), years=[2026])


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in _DAYS_OFF


def _due(opened: datetime, value: int, unit: str) -> datetime:
    if unit == "minutes":
        return opened + timedelta(minutes=value)
    if unit == "hours":
        return opened + timedelta(hours=value)
    local, day, left = opened.astimezone(WITA), opened.astimezone(WITA).date(), value
    while left:
        day += timedelta(days=1)
        left -= _working(day)
    return datetime.combine(day, local.timetz())


def _expected(seed: Seed, month_start: datetime, month_end: datetime) -> dict[str, object]:
    """The report's figures, counted here from the appended events."""
    catalogue = load_catalogue()
    service = catalogue.offices[OFFICE].services["public-complaint"]
    regs = {
        x.case_id: x.event
        for x in seed.log
        if isinstance(x.event, ComplaintRegistered) and x.office == OFFICE
    }
    facts: dict[UUID, list[tuple[datetime, object]]] = {}
    for x in seed.log:
        if x.case_id is not None and x.case_id in regs and x.occurred_at < month_end:
            facts.setdefault(x.case_id, []).append((x.occurred_at, x.event))
    by_channel: Counter[str] = Counter()
    closed: list[tuple[bool, int]] = []
    overdue: Counter[str] = Counter()
    for case_id, reg in regs.items():
        assert case_id is not None and isinstance(reg, ComplaintRegistered)
        if not month_start <= reg.received_at < month_end and reg.received_at >= month_end:
            continue
        if month_start <= reg.received_at < month_end:
            by_channel[reg.channel.value] += 1
        mine = facts.get(case_id, [])
        stops = [t for t, e in mine if isinstance(e, _STOPS)]
        breached = any(isinstance(e, DeadlineBreached) for _, e in mine)
        pauses = [t for t, e in mine if isinstance(e, CasePaused)]
        resumes = [t for t, e in mine if isinstance(e, CaseResumed)]
        paused = sum((b - a for a, b in zip(pauses, resumes, strict=False)), timedelta())
        time = service.completion_time_for(reg.channel)
        due = _due(reg.received_at, time.value, str(time.unit)) + paused
        if stops:
            end = stops[0]
            if month_start <= end < month_end:
                days = 0
                day = reg.received_at.astimezone(WITA).date()
                while day < end.astimezone(WITA).date():
                    day += timedelta(days=1)
                    days += _working(day)
                closed.append((not breached and end <= due, days))
        elif due < month_end:
            last = "registered"
            for _, e in mine:
                if isinstance(e, CaseAssigned):
                    last = "assigned"
            overdue[last] += 1
    sheets = [
        x.event.scores
        for x in seed.log
        if isinstance(x.event, SurveyAnswered) and month_start <= x.occurred_at < month_end
    ]
    averages = {k: sum(s[k] for s in sheets) / len(sheets) for k in ELEMENTS}
    index = round(sum(averages.values()) / 9 * 25, 2)
    return {
        "by_channel": dict(by_channel),
        "closed": len(closed),
        "met": sum(1 for ok, _ in closed if ok),
        "days": sorted(d for _, d in closed),
        "overdue": dict(overdue),
        "respondents": len(sheets),
        "averages": averages,
        "index": index,
        "grade": grade(index)[0],
    }


async def test_monthly_report_figures_match_the_events(seeded: tuple[str, Seed]) -> None:
    dsn, seed = seeded
    start, end = datetime(2026, 10, 1, tzinfo=WITA), datetime(2026, 11, 1, tzinfo=WITA)
    want = _expected(seed, start, end)
    conn = await _as_analyst(dsn)
    try:
        f = await monthly_figures(conn, OFFICE, MONTH)
    finally:
        await conn.close()
    assert {ch: v[-1] for ch, v in f.by_channel.items() if v[-1]} == want["by_channel"]
    assert f.registered == sum(want["by_channel"].values()) == 8
    # September's desk case is in the trend, the month before.
    assert f.by_channel["walk_in"][-2] == 1
    assert (f.closed, f.met) == (want["closed"], want["met"]) == (5, 3)
    assert [(s.closed, s.met) for s in f.sla_by_service] == [(5, 3)]
    assert f.days_to_close == want["days"] == [0, 0, 2, 4, 7]
    assert f.overdue_by_stage == want["overdue"] == {"assigned": 1, "registered": 1}
    assert f.ikm is not None
    assert f.ikm.respondents == want["respondents"] == 3
    for k, v in want["averages"].items():  # type: ignore[attr-defined]
        assert f.ikm.element_averages[k] == pytest.approx(v, abs=1e-3)
    assert (f.ikm.index, f.ikm.grade) == (want["index"], want["grade"])


def _slrt(*args: str, dsn: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own CLI, fixed arguments)
        [sys.executable, "-m", "shared.cli", *args, "--dsn", dsn],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_slrt_report_writes_html_and_a_pdf_that_is_not_blank(
    seeded: tuple[str, Seed], tmp_path: Path
) -> None:
    import pypdfium2

    dsn, _seed = seeded
    done = _slrt(
        "report",
        "--office",
        "kupang",
        "--month",
        "2026-10",
        "--out",
        str(tmp_path),
        dsn=dsn,
        tmp=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "laporan-kupang-2026-10.html").read_text()
    assert "Laporan Bulanan" in html and "Oktober 2026" in html
    assert "Indeks Kepuasan Masyarakat" in html and "data:image/png;base64," in html
    pdf = pypdfium2.PdfDocument(tmp_path / "laporan-kupang-2026-10.pdf")
    image = pdf[0].render(scale=1.5).to_pil().convert("L")
    image.save(Path(os.environ.get("SLRT_REPORT_PNG", tmp_path / "page1.png")))
    histogram = image.histogram()
    dark = sum(histogram[:128])
    assert dark > 0.01 * image.width * image.height  # text and charts, not a blank page
    assert len(pdf) >= 2


async def test_slrt_export_writes_every_view_to_parquet_and_csv(
    seeded: tuple[str, Seed], tmp_path: Path
) -> None:
    dsn, _seed = seeded
    done = _slrt(
        "export",
        "--from",
        "2026-10-01",
        "--to",
        "2026-11-01",
        "--office",
        "kupang",
        "--out",
        str(tmp_path),
        dsn=dsn,
        tmp=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    conn = await _as_analyst(dsn)
    try:
        for view, column in (
            ("events", "occurred_at"),
            ("cases", "opened_at"),
            ("transitions", "at"),
            ("sla_steps", "acted_at"),
            ("ikm_answers", "answered_at"),
        ):
            want = await conn.fetchval(
                f"""SELECT count(*) FROM analytics.{view} WHERE office = 'kupang'
                    AND {column} >= '2026-10-01Z' AND {column} < '2026-11-01Z'"""
            )
            table = pq.read_table(tmp_path / f"{view}.parquet")
            assert table.num_rows == want > 0, view
            lines = (tmp_path / f"{view}.csv").read_text().splitlines()
            assert len(lines) == want + 1, view  # a header, then the rows
        cases = pq.read_table(tmp_path / "cases.parquet").to_pylist()
        assert {c["office"] for c in cases} == {"kupang"}
    finally:
        await conn.close()
