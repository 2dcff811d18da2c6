"""The registry on a real PostgreSQL: extracts imported through COPY, rejected rows, bad
files that change nothing, snapshots that supersede each other while lookups go on."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from services.eligibility.adapters import registry
from services.eligibility.adapters.registry_copy import connecting
from services.eligibility.bootstrap import MIGRATIONS, NAME
from services.eligibility.domain.extract import (
    HEADER,
    ExtractError,
    MalformedExtract,
    SnapshotOutOfOrder,
    TooManyRejected,
    TruncatedExtract,
    WrongHeader,
)
from services.eligibility.domain.registry import RegistryMember
from services.eligibility.service_layer.import_extract import import_extract
from services.eligibility.synthetic import write_extract
from services.eligibility.views import snapshot_rejects as rejects
from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.runtime import migrate_service
from shared.settings import REPO_ROOT, Settings
from tests.integration.test_eligibility_checks import (
    eligibility_app,
    eligibility_events,
    register,
)
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

JUNE = date(2025, 6, 30)
SEPT = date(2025, 9, 30)


@pytest.fixture
async def conn(database_url: str) -> asyncpg.Connection:
    await migrate_service(database_url, NAME, MIGRATIONS)
    c = await asyncpg.connect(database_url)
    yield c
    await c.close()


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


async def current(conn: asyncpg.Connection) -> tuple[int | None, int]:
    snap = await registry.current_snapshot(conn)
    return (snap["snapshot_id"] if snap else None), await registry.count_members(conn)


async def test_a_good_extract_becomes_the_current_snapshot(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "dtsen.csv"
    write_extract(path, 3000, seed=11)
    report = await import_extract(conn, path, source="DTSEN", snapshot_date=SEPT)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3000, 3000, 0)
    assert await current(conn) == (report.snapshot_id, 3000)

    rows = rows_of(path)
    head = next(r for r in rows if r[5] == "kepala_keluarga" and r[9] and r[8])
    member = await registry.find_member(conn, head[0])
    assert member is not None
    assert (member.kk_number, member.name, member.region_code, member.status) == (
        head[1],
        head[2],
        head[7],
        head[10],
    )
    assert member.decile == int(head[8]) and ";".join(member.programmes) == head[9]
    assert (member.source, member.snapshot_date, member.birth_date) == (
        "DTSEN",
        SEPT,
        date.fromisoformat(head[4]),
    )
    household = await registry.household(conn, head[1])
    assert [m.nik for m in household] == [r[0] for r in rows if r[1] == head[1]]
    assert await registry.find_member(conn, "3508011203750009") is None


@pytest.mark.parametrize("indexes", ["one_connection", "two_connections"])
async def test_rejected_rows_are_kept_with_line_and_reason(
    conn: asyncpg.Connection, tmp_path: Path, database_url: str, indexes: str
) -> None:
    path = tmp_path / "spoilt.csv"
    write_extract(path, 600, seed=3, bad_every=25)  # 24 spoilt rows
    good = rows_of(path)[0]
    with path.open("a", encoding="utf-8") as f:
        # Line 602: a quoted name with a comma and a line break inside it: one good row.
        quoted = [*good]
        quoted[0] = good[0][:12] + "9999"
        quoted[2] = "Contoh, Nama\nDua Baris"
        csv.writer(f, lineterminator="\n").writerow(quoted)
        # Line 604: the first row's NIK again: both lines are refused.
        f.write(",".join(good) + "\n")
    # The indexes one after the other, or both at once (the NIK index then meets the
    # duplicate while the KK index is being built on the other connection).
    second = connecting(database_url) if indexes == "two_connections" else None
    report = await import_extract(
        conn, path, source="DTKS", snapshot_date=JUNE, second_connection=second
    )
    assert report.rows_read == 602
    assert report.rows_rejected == 24 + 2
    assert report.rows_loaded == 602 - 26
    stored = await rejects(conn, report.snapshot_id)
    assert len(stored) == 26
    by_line = {r["line_no"]: r for r in stored}
    assert by_line[604]["reason"] == "nik_duplicate" and by_line[2]["reason"] == "nik_duplicate"
    assert "also on line(s) 604" in by_line[2]["detail"]
    spoilt_lines = [n for n in range(2, 603) if (n - 1) % 25 == 0]
    assert sorted(set(by_line) - {2, 604}) == spoilt_lines
    reasons = {by_line[n]["reason"] for n in spoilt_lines}
    assert reasons == {
        "nik_invalid",
        "village_unknown",
        "wrong_field_count",
        "nik_birth_date_mismatch",
        "programme_unknown",
        "kk_invalid",
    }
    # The raw line is kept as it was received.
    lines = path.read_text().split("\n")
    assert by_line[26]["raw"] == lines[25]
    assert [r.line_no for r in report.rejects] == sorted(by_line)
    assert await registry.find_member(conn, good[0]) is None  # listed twice: never guessed
    two_lines = await registry.find_member(conn, quoted[0])
    assert two_lines is not None and two_lines.name == "Contoh, Nama\nDua Baris"
    # The rows' line numbers are kept with the members too.
    line_no = await conn.fetchval(
        "SELECT line_no FROM eligibility.registry_listings WHERE nik = $1", quoted[0]
    )
    assert line_no == 602


@pytest.mark.parametrize("defect", ["wrong_header", "truncated", "not_utf8", "mostly_bad"])
async def test_a_bad_extract_leaves_the_registry_unchanged(
    conn: asyncpg.Connection, tmp_path: Path, defect: str
) -> None:
    first = tmp_path / "first.csv"
    write_extract(first, 500, seed=5)
    before = await import_extract(conn, first, source="DTKS", snapshot_date=JUNE)
    known = rows_of(first)[10][0]

    bad = tmp_path / "bad.csv"
    write_extract(bad, 20_000, seed=6, bad_every=2 if defect == "mostly_bad" else 0)
    data = bad.read_bytes()
    expected: type[ExtractError]
    if defect == "wrong_header":
        bad.write_bytes(data.replace(b"kk_number", b"no_kk", 1))
        expected = WrongHeader
    elif defect == "truncated":
        bad.write_bytes(data[: len(data) - 37])
        expected = TruncatedExtract
    elif defect == "not_utf8":
        cut = data.index(b"\n", len(data) // 2) + 1
        bad.write_bytes(data[:cut] + b"\xff\xfe" + data[cut:])
        expected = MalformedExtract
    else:
        expected = TooManyRejected
    with pytest.raises(Refused) as info:
        await import_extract(conn, bad, source="DTSEN", snapshot_date=SEPT)
    assert isinstance(info.value.__cause__, expected)  # answered as a refusal with its code
    assert (info.value.code, info.value.status) == (expected.code, 422)
    assert str(info.value)

    assert await current(conn) == (before.snapshot_id, 500)
    assert await registry.find_member(conn, known) is not None
    snaps = await registry.snapshots(conn)
    assert [(s["status"], bool(s["error"])) for s in snaps] == [
        ("failed", True),
        ("current", False),
    ]
    # Nothing of the failed import is left behind.
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM eligibility.registry_rejects WHERE snapshot_id = $1",
            snaps[0]["snapshot_id"],
        )
        == 0
    )
    assert (
        await conn.fetchval(
            "SELECT to_regclass($1)", registry.partition_name(snaps[0]["snapshot_id"])
        )
        is None
    )


async def test_a_new_snapshot_supersedes_without_a_gap_and_history_is_kept(
    conn: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    june = tmp_path / "june.csv"
    write_extract(june, 4000, seed=21)
    first = await import_extract(conn, june, source="DTKS", snapshot_date=JUNE)
    rows = rows_of(june)
    stays, leaves, changes = rows[0], rows[1], rows[2]

    # September: one person is gone, one moved to decile 10 and lost every programme.
    sept = tmp_path / "sept.csv"
    with sept.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for r in rows:
            if r[0] == leaves[0]:
                continue
            if r[0] == changes[0]:
                r = [*r[:8], "10", "", r[10]]
            f.write(",".join(r) + "\n")

    # Lookups run all through the second import; every one of them must find the person.
    lookups = await asyncpg.connect(database_url)
    seen: list[date] = []
    done = asyncio.Event()

    async def keep_looking() -> None:
        while not done.is_set():
            m = await registry.find_member(lookups, stays[0])
            assert m is not None
            seen.append(m.snapshot_date)
            await asyncio.sleep(0)

    looking = asyncio.create_task(keep_looking())
    try:
        second = await import_extract(conn, sept, source="DTSEN", snapshot_date=SEPT)
        await asyncio.sleep(0.05)
    finally:
        done.set()
        await looking
        await lookups.close()
    assert seen and seen[0] == JUNE and seen[-1] == SEPT
    assert seen == sorted(seen)  # never back to the old one once the new one is current

    assert await current(conn) == (second.snapshot_id, 3999)
    assert await registry.find_member(conn, leaves[0]) is None
    history = await registry.listing_history(conn, leaves[0])
    assert [(h.snapshot_id, h.source, h.present, h.current) for h in history] == [
        (first.snapshot_id, "DTKS", True, False),
        (second.snapshot_id, "DTSEN", False, True),
    ]
    changed = await registry.listing_history(conn, changes[0])
    assert [(h.decile, h.programmes) for h in changed][1] == (10, ())

    # An older extract cannot supersede a newer one.
    with pytest.raises(Refused) as refused:
        await import_extract(conn, june, source="DTKS", snapshot_date=JUNE)
    assert isinstance(refused.value.__cause__, SnapshotOutOfOrder)
    assert refused.value.code == "snapshot_out_of_order"
    assert await current(conn) == (second.snapshot_id, 3999)


async def test_checks_answer_from_the_current_snapshot(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """ComplaintRegistered -> DtksVerified / DtksNotFound from whatever snapshot is current."""
    mataram = "5271011505800001"  # in the demo extract, Kota Mataram
    async with running(eligibility_app(settings, demo_data=True)):
        env = await register(pool, office="mataram", service="sembako-complaint", nik=mataram)
        assert env.case_id is not None
        (verified,) = await eventually(
            lambda: eligibility_events(pool, env.case_id)  # type: ignore[arg-type]
        )
        assert verified.event_type == "DtksVerified"
        assert verified.data["snapshot_date"] == "2025-09-30"
        assert verified.data["source"] == "DTSEN"

        # A newer extract without that person: the next check says not listed.
        newer = tmp_path / "newer.csv"
        demo = registry.DEMO_CSV.read_text().splitlines()
        newer.write_text("\n".join(line for line in demo if mataram not in line) + "\n")
        async with pool.acquire() as conn:
            await import_extract(conn, newer, source="DTSEN", snapshot_date=date(2025, 12, 31))
        env2 = await register(pool, office="mataram", service="sembako-complaint", nik=mataram)
        (not_found,) = await eventually(
            lambda: eligibility_events(pool, env2.case_id)  # type: ignore[arg-type]
        )
        assert (not_found.event_type, not_found.data["reason"]) == ("DtksNotFound", "not_listed")


async def test_import_from_the_command_line_and_over_http(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "cli.csv"
    write_extract(path, 300, seed=9, bad_every=100)
    env = {**os.environ, "DATABASE_URL": database_url, "SLRT_LOG_LEVEL": "WARNING"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "services.eligibility", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = await asyncio.to_thread(
        cli, "import", str(path), "--source", "DTKS", "--snapshot-date", "2025-06-30"
    )
    assert done.returncode == 0, done.stderr
    assert "297 members loaded, 3 rows rejected of 300 read" in done.stdout
    assert "line 101: village_unknown" in done.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("nik;kk;nama\n1;2;3\n")
    done = await asyncio.to_thread(
        cli, "import", str(bad), "--source", "DTKS", "--snapshot-date", "2025-07-31"
    )
    assert done.returncode == 1
    assert "wrong_header" in done.stderr and "registry is unchanged" in done.stderr

    generated = tmp_path / "gen.csv"
    done = await asyncio.to_thread(
        cli,
        "generate",
        str(generated),
        *("--rows", "50", "--seed", "4"),
        *("--region", "52.71", "--bad-every", "20"),
    )
    assert done.returncode == 0, done.stderr
    assert len(generated.read_text().splitlines()) == 51

    admin = auth("mataram", Role.REGISTRY_ADMIN, staff_id="adm-1")
    async with running(eligibility_app(settings, demo_data=False)) as client:
        r = await client.post(
            "/v1/registry/imports",
            params={"source": "DTSEN", "snapshot_date": "2025-09-30"},
            content=generated.read_bytes(),
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        # A registry administrator of Mataram loads Mataram's households (52.71): the
        # rest of the registry (the command line's national load) is carried over.
        assert (body["rows_loaded"], body["rows_rejected"]) == (48, 2)
        assert body["rows_carried"] == 297
        r = await client.post(
            "/v1/registry/imports",
            params={"source": "DTSEN", "snapshot_date": "2025-10-31"},
            content=b"nik,kk\n",
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "wrong_header"
        assert "unchanged" in r.json()["error"]["message"]
        r = await client.get(f"/v1/registry/snapshots/{body['snapshot_id']}/rejects", headers=admin)
        assert [x["line_no"] for x in r.json()["rejects"]] == [21, 41]
        # The national load's rejected lines (any region) are not for an office to read.
        r = await client.get(
            f"/v1/registry/snapshots/{body['snapshot_id'] - 2}/rejects", headers=admin
        )
        assert r.status_code == 404
        nik = rows_of(generated)[0][0]
        why = {"purpose": "audit of the import"}
        r = await client.get(f"/v1/registry/persons/{nik}/history", params=why, headers=admin)
        assert r.status_code == 200
        assert [h["present"] for h in r.json()["history"]] == [False, True]
        r = await client.get("/v1/registry/snapshots", headers=admin)
        assert [s["status"] for s in r.json()["snapshots"]] == [
            "failed",
            "current",
            "failed",
            "superseded",
        ]
        desk = auth("mataram", Role.FRONT_OFFICE)
        r = await client.get(f"/v1/registry/persons/{nik}/history", params=why, headers=desk)
        assert r.status_code == 403


async def test_batched_lookups_answer_every_caller_and_give_their_connections_back(
    conn: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "dtsen.csv"
    write_extract(path, 2000, seed=5)
    await import_extract(conn, path, source="DTSEN", snapshot_date=SEPT)
    listed = [r[0] for r in rows_of(path)][:300]
    absent = [n[:12] + "9999" for n in listed[:30]]
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    assert pool is not None
    try:
        lookup = registry.BatchedLookup(pool, max_batch=50, max_inflight=2)
        found = await asyncio.gather(*(lookup.find(n) for n in listed + absent))
        assert [m.nik if m else None for m in found] == listed + [None] * len(absent)

        # Callers arriving one by one while batches are out: the same answers.
        async def later(i: int, nik: str) -> str | None:
            await asyncio.sleep(i / 20_000)
            m = await lookup.find(nik)
            return m.nik if m else None

        again = await asyncio.gather(*(later(i, n) for i, n in enumerate(listed + absent)))
        assert again == listed + [None] * len(absent)

        # Idle: the workers have given their connections back to the pool.
        async def all_idle() -> bool:
            return bool(pool.get_idle_size() == pool.get_size())

        await eventually(all_idle)
    finally:
        await pool.close()
    # A closed pool: callers get the error, they do not hang.
    with pytest.raises(asyncpg.InterfaceError):
        await asyncio.wait_for(lookup.find(listed[0]), 5)


async def test_a_member_read_from_the_registry_is_what_model_construct_makes(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "dtsen.csv"
    write_extract(path, 300, seed=9)
    await import_extract(conn, path, source="DTSEN", snapshot_date=SEPT)
    query = registry._FIND.replace("l.nik = $1", "l.nik = ANY($1::text[])")
    rows = await conn.fetch(query, [r[0] for r in rows_of(path)])
    assert len(rows) == 300
    for row in rows:
        nik, kk, name, born, relation, address, village, decile, progs, status, source, day = row
        constructed = RegistryMember.model_construct(
            nik=nik,
            kk_number=kk,
            name=name,
            birth_date=born,
            relation=relation,
            address=address,
            region_code=village,
            decile=decile,
            programmes=tuple(progs.split(";")) if progs else (),
            status=status,
            source=source,
            snapshot_date=day,
        )
        fast = registry._member(row)
        assert fast == constructed
        assert fast.model_fields_set == constructed.model_fields_set
        assert fast.model_dump(mode="json") == constructed.model_dump(mode="json")
        assert fast.female == constructed.female and hash(fast) == hash(constructed)


async def test_an_import_that_died_midway_is_cleaned_up_by_the_next(
    conn: asyncpg.Connection, tmp_path: Path, database_url: str
) -> None:
    """Its steps are separate transactions: a process killed between them leaves a table
    no lookup ever saw and a snapshot still 'loading'. The next import drops and marks it."""
    async with conn.transaction():
        dead = await registry.new_snapshot(
            conn, source="DTKS", snapshot_date=JUNE, origin="killed.csv"
        )
        await registry.create_partition(conn, dead)
    path = tmp_path / "june.csv"
    write_extract(path, 300, seed=5)
    report = await import_extract(
        conn, path, source="DTKS", snapshot_date=JUNE, second_connection=connecting(database_url)
    )
    assert report.rows_loaded == 300
    row = await conn.fetchrow(
        "SELECT status, error FROM eligibility.registry_snapshots WHERE snapshot_id = $1", dead
    )
    assert (row["status"], row["error"]) == ("failed", "interrupted")
    assert await conn.fetchval("SELECT to_regclass($1)", registry.partition_name(dead)) is None
    assert await current(conn) == (report.snapshot_id, 300)
