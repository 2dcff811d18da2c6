"""The `checks` table: each check of a case, as staff read it (`views.latest_check`).

A row is a projection of the verdicts appended to the case's eligibility stream (written
in the same transaction), or says why nothing was appended (`not_required`, or
`not_checked` when the catalogue no longer knows the office or service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from services.eligibility.domain.decision import Decision
from shared.contracts.base import EventEnvelope


@dataclass(frozen=True)
class CheckOf:
    """One check: of which case, by which office's standard for which service, caused by
    which event, and the NIK to look up in the registry (None: nothing to look up)."""

    case_id: UUID
    office: str
    service: str
    caused_by: UUID
    nik: str | None = None


@dataclass(frozen=True)
class CheckRow:
    case_id: UUID
    office: str
    service: str
    dtks_status: str
    dtks_reason: str | None
    domicile_status: str
    events: list[dict[str, Any]]
    caused_by: UUID


def check_row(
    check: CheckOf,
    decision: Decision | None,
    appended: Sequence[EventEnvelope] = (),
    *,
    not_checked: str | None = None,
) -> CheckRow:
    """The row for a check: its decision and the events appended for it, or, with no
    decision, why the case was not checked."""
    return CheckRow(
        case_id=check.case_id,
        office=check.office,
        service=check.service,
        dtks_status=decision.dtks if decision else "not_checked",
        dtks_reason=decision.reason if decision else not_checked,
        domicile_status=decision.domicile if decision else "not_checked",
        events=[
            {"event_type": e.event_type, "event_id": str(e.event_id), "data": e.data}
            for e in appended
        ],
        caused_by=check.caused_by,
    )


class PostgresCheckLog:
    """`checks` on the unit of work's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def record(self, row: CheckRow) -> None:
        await self.conn.execute(
            """INSERT INTO eligibility.checks (case_id, office, service, dtks_status,
                   dtks_reason, domicile_status, events, caused_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            row.case_id,
            row.office,
            row.service,
            row.dtks_status,
            row.dtks_reason,
            row.domicile_status,
            row.events,
            row.caused_by,
        )

    async def record_many(self, rows: Sequence[CheckRow]) -> None:
        """The rows in one statement, inserted in their order (ids ascending as if one
        by one)."""
        if not rows:
            return
        await self.conn.execute(
            """INSERT INTO eligibility.checks (case_id, office, service, dtks_status,
                   dtks_reason, domicile_status, events, caused_by)
               SELECT case_id, office, service, dtks_status, dtks_reason, domicile_status,
                   events::jsonb, caused_by
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::text[], $8::uuid[]) WITH ORDINALITY
                   AS u(case_id, office, service, dtks_status, dtks_reason, domicile_status,
                        events, caused_by, n)
               ORDER BY n""",
            [r.case_id for r in rows],
            [r.office for r in rows],
            [r.service for r in rows],
            [r.dtks_status for r in rows],
            [r.dtks_reason for r in rows],
            [r.domicile_status for r in rows],
            # as JSON text: a list of lists would be taken for a two-dimensional array
            [orjson.dumps(r.events).decode() for r in rows],
            [r.caused_by for r in rows],
        )
