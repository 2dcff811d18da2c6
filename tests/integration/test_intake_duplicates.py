"""The duplicate rule is written twice on purpose: in Python (`domain/duplicates.py`, the
rule) and in PostgreSQL (`intake.identify`, its fast path on every registration). One
table of cases runs through both; they must agree on the case and the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.intake.adapters import repository as repo
from services.intake.bootstrap import MIGRATIONS
from services.intake.domain.duplicates import (
    LikelyDuplicate,
    OpenCase,
    Request,
    likely_duplicate,
)
from services.intake.domain.new_case import ToIdentify
from shared.db import create_pool
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
NIK_A, NIK_B = "3508014101900001", "3508014101900002"
PHONE_A, PHONE_B = "+6281200000001", "+6281200000002"


@dataclass(frozen=True)
class Earlier:
    """A registered case in the table."""

    name: str
    days_ago: float
    office: str = "lumajang"
    service: str = "kks-recommendation"
    nik: str | None = None
    phone: str | None = None
    citizen: str | None = None  # "x": the citizen reached by the e-mail x@example.org
    closed: bool = False


@dataclass(frozen=True)
class Case:
    """A new request (Lumajang, KKS recommendation unless said) and the cases before it."""

    title: str
    earlier: tuple[Earlier, ...]
    expected: tuple[str, str] | None  # (name of the earlier case, reason)
    service: str = "kks-recommendation"
    nik: str | None = None
    phone: str | None = None
    citizen: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("nothing before", (), None, nik=NIK_A),
    Case(
        "same NIK and service",
        (Earlier("a", 3, nik=NIK_A),),
        ("a", "same_nik_and_service"),
        nik=NIK_A,
    ),
    Case("same NIK, other service", (Earlier("a", 3, nik=NIK_A, service="pkh"),), None, nik=NIK_A),
    Case("other NIK", (Earlier("a", 3, nik=NIK_B),), None, nik=NIK_A),
    Case(
        "same phone, any service",
        (Earlier("a", 3, phone=PHONE_A, service="pkh"),),
        ("a", "same_phone"),
        phone=PHONE_A,
    ),
    Case(
        "same phone, other office",
        (Earlier("a", 3, phone=PHONE_A, office="kupang"),),
        None,
        phone=PHONE_A,
    ),
    Case(
        "same citizen and service",
        (Earlier("a", 3, citizen="x"),),
        ("a", "same_citizen_and_service"),
        citizen="x",
    ),
    Case(
        "same citizen, other service",
        (Earlier("a", 3, citizen="x", service="pkh"),),
        None,
        citizen="x",
    ),
    Case(
        "closed cases attract nothing", (Earlier("a", 3, nik=NIK_A, closed=True),), None, nik=NIK_A
    ),
    Case(
        "just inside the window",
        (Earlier("a", 29.9, nik=NIK_A),),
        ("a", "same_nik_and_service"),
        nik=NIK_A,
    ),
    Case("outside the window", (Earlier("a", 30.1, nik=NIK_A),), None, nik=NIK_A),
    Case(
        "received later (a letter typed in late)",
        (Earlier("a", -2, phone=PHONE_A),),
        ("a", "same_phone"),
        phone=PHONE_A,
    ),
    Case(
        "the earliest of several wins",
        (Earlier("late", 1, nik=NIK_A), Earlier("early", 10, phone=PHONE_A)),
        ("early", "same_phone"),
        nik=NIK_A,
        phone=PHONE_A,
    ),
    Case(
        "one case, several rules: the first names it",
        (Earlier("a", 5, nik=NIK_A, phone=PHONE_A, citizen="x"),),
        ("a", "same_nik_and_service"),
        nik=NIK_A,
        phone=PHONE_A,
        citizen="x",
    ),
    Case(
        "same time, two rules: the first rule wins",
        (Earlier("by-phone", 4, phone=PHONE_A), Earlier("by-nik", 4, nik=NIK_A)),
        ("by-nik", "same_nik_and_service"),
        nik=NIK_A,
        phone=PHONE_A,
    ),
    Case(
        "anonymous (nothing to compare)",
        (Earlier("a", 3, nik=NIK_A, phone=PHONE_A),),
        None,
    ),
    Case(
        "a closed match and an open one",
        (Earlier("closed", 9, nik=NIK_A, closed=True), Earlier("open", 2, phone=PHONE_B)),
        ("open", "same_phone"),
        nik=NIK_A,
        phone=PHONE_B,
    ),
]


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate_service(database_url, "intake", MIGRATIONS)
    p = await create_pool(database_url, max_size=2)
    try:
        yield p
    finally:
        await p.close()


class Rollback(Exception):
    pass


async def citizen_of(conn: asyncpg.Connection, key: str, known: dict[str, UUID]) -> UUID:
    if key not in known:
        known[key] = uuid4()
        await conn.execute("INSERT INTO intake.citizens (id) VALUES ($1)", known[key])
        await conn.execute(
            """INSERT INTO intake.citizen_identifiers (kind, value_hash, citizen_id)
               VALUES ($1, $2, $3)""",
            "email",
            repo.identifier_hash("email", f"{key}@example.org"),
            known[key],
        )
    return known[key]


async def both_rules(
    conn: asyncpg.Connection, case: Case
) -> tuple[LikelyDuplicate | None, LikelyDuplicate | None, dict[UUID, str]]:
    """(what PostgreSQL says, what the Python rule says, case ids by name)."""
    citizens: dict[str, UUID] = {}
    names: dict[UUID, str] = {}
    candidates: list[OpenCase] = []
    for n, e in enumerate(case.earlier):
        case_id, inbound_id = uuid4(), uuid4()
        names[case_id] = e.name
        received_at = NOW - timedelta(days=e.days_ago)
        citizen_id = await citizen_of(conn, e.citizen, citizens) if e.citizen else None
        await repo.record_inbound(
            conn,
            inbound_id=inbound_id,
            received_at=received_at,
            source="test",
            content_type=None,
            headers={},
            body=b"",
            body_truncated=False,
            entered_by=None,
            entered_by_office=None,
            correlation_id=uuid4(),
        )
        await conn.execute(
            """INSERT INTO intake.registrations (case_id, ticket_number, office, service,
                   channel, inbound_id, received_at, citizen_id, nik_hash, phone_hash,
                   closed_at)
               VALUES ($1, $2, $3, $4, 'walk_in', $5, $6, $7, $8, $9, $10)""",
            case_id,
            f"TST-2026-{n:06d}",
            e.office,
            e.service,
            inbound_id,
            received_at,
            citizen_id,
            repo.identifier_hash("nik", e.nik),
            repo.identifier_hash("phone", e.phone),
            NOW if e.closed else None,
        )
        candidates.append(
            OpenCase(
                case_id,
                Request(e.office, e.service, received_at, e.nik, e.phone, citizen_id),
                closed=e.closed,
            )
        )
    identifiers = [("nik", case.nik)] if case.nik else []
    identifiers += [("phone", case.phone)] if case.phone else []
    identifiers += [("email", f"{case.citizen}@example.org")] if case.citizen else []
    found = await repo.identify_and_number(
        conn,
        ToIdentify(
            identifiers=identifiers,
            new_id=uuid4(),
            office="lumajang",
            service=case.service,
            nik=case.nik,
            phone=case.phone,
            since=NOW - timedelta(days=30),
            prefix="TST",
            year=2026,
        ),
    )
    if case.citizen:
        assert found.citizen_id == citizens[case.citizen]
    new = Request("lumajang", case.service, NOW, case.nik, case.phone, found.citizen_id)
    return found.duplicate, likely_duplicate(new, candidates), names


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
async def test_the_sql_fast_path_and_the_python_rule_agree(pool: asyncpg.Pool, case: Case) -> None:
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                sql, python, names = await both_rules(conn, case)
                raise Rollback
        except Rollback:
            pass
    assert sql == python
    named = None if python is None else (names[python.case_id], python.reason)
    assert named == case.expected
