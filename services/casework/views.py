"""Read side: the case file with its timeline, the office's case list and work queues,
a case or the office as it was at a moment, a case's deadline clock and social-work
steps, the reception's registers and the IKM's answer sheets.

Reads only (the access log that every case-file read writes is `adapters/access_log.py`).
The case row of a past moment is `CaseRow.of`, the same mapping the projection stores.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from services.casework.adapters.case_store import fact_from_row
from services.casework.domain.case_row import CaseRow
from services.casework.domain.deadlines import Span
from services.casework.domain.model import CaseState, Stage, fold
from services.casework.domain.standards import CaseStandards
from services.casework.domain.timeline import (
    CASE_EVENT_TYPES,
    CONFIDENTIAL_FIELDS,
    REDACTED,
    TimelineEntry,
    applicant_name_of,
    entry_from_envelope,
)
from services.casework.service_layer.access import may_read_notes
from shared.auth import StaffIdentity
from shared.eventstore.store import read_case
from shared.eventstore.subjects import open_datas
from shared.refusal import Refused

_CASE_COLUMNS = """case_id, office, service, variant, channel, ticket_number, status,
    assigned_to, assignee_role, outcome, opened_at, resolved_at, last_position,
    applicant_name, stage, queue_role, due_at, clock_paused, merged_into, forwarded_to,
    id_card_held"""


async def find_case(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_CASE_COLUMNS} FROM casework.cases WHERE case_id = $1", case_id
    )
    return dict(row) if row else None


async def case_row(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any]:
    """The case's row; 404 if there is no such case, 409 `case_not_ready` if its events
    arrived before its registration."""
    row = await find_case(conn, case_id)
    if row is not None:
        return row
    if await has_facts(conn, case_id):
        raise Refused.conflict(
            "case_not_ready",
            "Events of this case arrived, but its registration has not yet; try again shortly.",
        )
    raise Refused.not_found("case_not_found", f"No case {case_id}.")


async def has_facts(conn: asyncpg.Connection, case_id: UUID) -> bool:
    """Whether events of the case arrived although its registration has not (yet)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM casework.case_timeline WHERE case_id = $1)", case_id
        )
    )


async def timeline(conn: asyncpg.Connection, case_id: UUID) -> list[TimelineEntry]:
    rows = await conn.fetch(
        """SELECT event_id, case_id, global_position, event_type, stream_id, actor, channel,
                  recorded_at, occurred_at, summary, data
           FROM casework.case_timeline WHERE case_id = $1 ORDER BY global_position""",
        case_id,
    )
    return [
        TimelineEntry(
            event_id=r["event_id"],
            case_id=r["case_id"],
            position=r["global_position"],
            event_type=r["event_type"],
            stream_id=r["stream_id"],
            actor=r["actor"],
            channel=r["channel"],
            recorded_at=r["recorded_at"],
            occurred_at=r["occurred_at"],
            summary=r["summary"],
            data=r["data"],
        )
        for r in rows
    ]


async def list_cases(
    conn: asyncpg.Connection,
    office: str,
    *,
    status: str | None,
    limit: int,
    confidential_names: bool = False,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `after` (opened_at, case_id): the page after that case. Without
    `confidential_names`, a confidential report's reporter is not named."""
    rows = await conn.fetch(
        f"""SELECT {_CASE_COLUMNS}, EXISTS (
                SELECT 1 FROM casework.case_timeline t
                WHERE t.case_id = c.case_id AND t.event_type = 'ComplaintRegistered'
                  AND (t.data->>'confidential')::boolean) AS confidential
            FROM casework.cases c
            WHERE office = $1 AND ($2::text IS NULL OR status = $2)
              AND ($4::timestamptz IS NULL OR opened_at < $4
                   OR (opened_at = $4 AND case_id > $5))
            ORDER BY opened_at DESC, case_id
            LIMIT $3""",
        office,
        status,
        limit,
        after[0] if after else None,
        after[1] if after else None,
    )
    out = []
    for r in rows:
        row = dict(r)
        if row.pop("confidential") and not confidential_names:
            row["applicant_name"] = None
        out.append(row)
    return out


async def confidential_notes(conn: asyncpg.Connection, event_ids: list[UUID]) -> dict[UUID, str]:
    """Assessment and counselling notes, read from the event store only for someone
    allowed to see them."""
    if not event_ids:
        return {}
    rows = await conn.fetch(
        """SELECT event_id, event_type, data FROM eventstore.events
           WHERE event_id = ANY($1::uuid[])""",
        event_ids,
    )
    rows = [r for r in rows if r["event_type"] in CONFIDENTIAL_FIELDS]
    datas = await open_datas(conn, [(r["event_type"], r["data"]) for r in rows])
    return {
        r["event_id"]: str(d.get(CONFIDENTIAL_FIELDS[r["event_type"]], ""))
        for r, d in zip(rows, datas, strict=True)
    }


async def case_as_of(
    conn: asyncpg.Connection, case_id: UUID, at: datetime
) -> tuple[CaseState, list[TimelineEntry], str | None]:
    """The case folded from the events recorded up to `at`, straight from the store."""
    envelopes = [
        e for e in await read_case(conn, case_id, until=at) if e.event_type in CASE_EVENT_TYPES
    ]
    entries = [e for e in map(entry_from_envelope, envelopes) if e is not None]
    names = (applicant_name_of(e.payload()) for e in envelopes)
    name = next((n for n in names if n is not None), None)
    return fold(case_id, (e.fact for e in entries)), entries, name


async def registered_as_of(
    conn: asyncpg.Connection, case_id: UUID, at: datetime
) -> tuple[CaseState, list[TimelineEntry], str | None]:
    """`case_as_of`, refused (404) if the case had not been registered by then."""
    state, entries, name = await case_as_of(conn, case_id, at)
    if not state.registered:
        raise Refused.not_found(
            "case_not_found", f"Case {case_id} had not been registered at {at}."
        )
    return state, entries, name


async def current_state(conn: asyncpg.Connection, case_id: UUID) -> CaseState:
    """The case folded from its timeline now."""
    return fold(case_id, (e.fact for e in await timeline(conn, case_id)))


def in_queue(row: dict[str, Any], roles: list[str]) -> bool:
    """Whether the case row is in the work queue of one of `roles`: the role that must act
    on it, or the official its breached deadline was escalated to (as `queue` selects)."""
    return row["queue_role"] in roles or (
        row["queue_role"] is not None and row["escalated_to"] in roles
    )


async def queue(
    conn: asyncpg.Connection, office: str, roles: list[str], *, assignee: str | None
) -> list[dict[str, Any]]:
    """The work queue of `roles` (see `in_queue`)."""
    rows = await conn.fetch(
        f"""SELECT {_CASE_COLUMNS}, breached, escalated_to FROM casework.cases
            WHERE office = $1
              AND (queue_role = ANY($2::text[])
                   OR (queue_role IS NOT NULL AND escalated_to = ANY($2::text[])))
              AND ($3::text IS NULL OR assigned_to = $3)
            ORDER BY due_at NULLS LAST, opened_at, case_id""",
        office,
        roles,
        assignee,
    )
    return [dict(r) for r in rows]


async def running_clocks(conn: asyncpg.Connection, office: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_CASE_COLUMNS}, breached, escalated_to FROM casework.cases
            WHERE office = $1 AND clock_stopped_at IS NULL AND due_at IS NOT NULL
            ORDER BY due_at, case_id""",
        office,
    )
    return [dict(r) for r in rows]


async def overdue(conn: asyncpg.Connection, office: str, now: datetime) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_CASE_COLUMNS}, breached, escalated_to FROM casework.cases
            WHERE office = $1 AND clock_stopped_at IS NULL AND due_at IS NOT NULL
              AND due_at <= $2
            ORDER BY due_at, case_id""",
        office,
        now,
    )
    return [dict(r) for r in rows]


async def id_cards(
    conn: asyncpg.Connection, office: str, *, include_returned: bool
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT visit_id, case_id, card_kind, held_by, deposited_at, returned_at, returned_by
           FROM casework.id_cards
           WHERE office = $1 AND ($2 OR returned_at IS NULL)
           ORDER BY deposited_at, visit_id""",
        office,
        include_returned,
    )
    return [dict(r) for r in rows]


async def find_by_ticket(conn: asyncpg.Connection, ticket_number: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT case_id, office, channel FROM casework.cases WHERE ticket_number = $1",
        ticket_number,
    )
    return dict(row) if row else None


async def survey_sheets(
    conn: asyncpg.Connection,
    office: str,
    *,
    service: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, int]]:
    """The answer sheets of the office's surveys (from the timeline: rebuildable)."""
    rows = await conn.fetch(
        """SELECT data->'scores' AS scores FROM casework.case_timeline
           WHERE event_type = 'SurveyAnswered' AND data->>'office' = $1
             AND ($2::text IS NULL OR data->>'service' = $2)
             AND ($3::timestamptz IS NULL OR occurred_at >= $3)
             AND ($4::timestamptz IS NULL OR occurred_at < $4)""",
        office,
        service,
        since,
        until,
    )
    return [{k: int(v) for k, v in r["scores"].items()} for r in rows]


async def office_as_of(
    conn: asyncpg.Connection, office: str, at: datetime, standards: CaseStandards
) -> list[dict[str, Any]]:
    """The office's case rows as they stood at `at`: every case folded from its facts
    recorded up to then (the same fold and case row as the live projection)."""
    rows = await conn.fetch(
        """SELECT t.case_id, t.global_position, t.event_type, t.data, t.recorded_at,
                  t.occurred_at, t.actor, c.applicant_name
           FROM casework.case_timeline t JOIN casework.cases c USING (case_id)
           WHERE c.office = $1 AND t.recorded_at <= $2
           ORDER BY t.case_id, t.global_position""",
        office,
        at,
    )
    by_case: dict[UUID, list[Any]] = {}
    for r in rows:
        by_case.setdefault(r["case_id"], []).append(r)
    result = []
    for case_id, facts in by_case.items():
        state = fold(case_id, (fact_from_row(r) for r in facts))
        if state.registered:
            result.append(CaseRow.of(state, standards, facts[0]["applicant_name"]).as_dict())
    return result


async def visits(conn: asyncpg.Connection, office: str, day: date) -> list[dict[str, Any]]:
    """The guest book of one day, with the card left at reception (if any) and its case."""
    rows = await conn.fetch(
        """SELECT v.visit_id, v.queue_number, v.purpose, v.checked_in_by, v.signed_at,
                  c.case_id, c.card_kind, c.deposited_at, c.returned_at
           FROM casework.visits v LEFT JOIN casework.id_cards c USING (visit_id)
           WHERE v.office = $1 AND v.visit_date = $2
           ORDER BY v.queue_number, v.visit_id""",
        office,
        day,
    )
    return [dict(r) for r in rows]


# ---- assembled views -------------------------------------------------------------------


class TimelineItem(BaseModel):
    position: int
    event_id: UUID
    event_type: str
    actor: str
    time: datetime = Field(description="When the event was recorded in the store.")
    occurred_at: datetime
    summary: str = Field(description="One line in Bahasa Indonesia, without personal data.")
    details: dict[str, Any]


async def timeline_items(
    conn: asyncpg.Connection,
    staff: StaffIdentity,
    state: CaseState,
    entries: list[TimelineEntry],
) -> list[TimelineItem]:
    """The timeline as `staff` may see it: counselling notes only for the care team."""
    confidential = [e.event_id for e in entries if e.event_type in CONFIDENTIAL_FIELDS]
    notes = (
        await confidential_notes(conn, confidential)
        if confidential and may_read_notes(staff, state)
        else {}
    )
    items = []
    for e in entries:
        details = dict(e.data)
        if e.event_type in CONFIDENTIAL_FIELDS:
            details[CONFIDENTIAL_FIELDS[e.event_type]] = notes.get(e.event_id, REDACTED)
        items.append(
            TimelineItem(
                position=e.position,
                event_id=e.event_id,
                event_type=e.event_type,
                actor=e.actor,
                time=e.recorded_at,
                occurred_at=e.occurred_at,
                summary=e.summary,
                details=details,
            )
        )
    return items


class ClockView(BaseModel):
    case_id: UUID
    stage: Stage
    published_time: str | None = Field(description='As published, e.g. "8 hari kerja".')
    clock: int | None
    started_at: datetime | None
    due_at: datetime | None = Field(description="None: no deadline, or the clock is paused.")
    warn_at: datetime | None
    paused: bool
    stopped_at: datetime | None
    remaining_office_seconds: float | None = Field(
        description="Office time left now (negative: overdue by that much)."
    )
    warned: bool
    breached: bool
    escalated_to: list[str]


def clock_view(state: CaseState, now: datetime, standards: CaseStandards) -> ClockView:
    plan = standards.plan_for(state)
    clock = state.clock
    due = standards.deadline_for(state)
    remaining = None
    if plan is not None and clock is not None and due is not None:
        end = clock.stopped_at or now
        spans = [Span(p.since, p.until) for p in clock.pauses]
        remaining = due.remaining(end, clock.started_at, plan.calendar, spans)
    return ClockView(
        case_id=state.case_id,
        stage=state.stage,
        published_time=plan.label if plan else None,
        clock=clock.number if clock else None,
        started_at=clock.started_at if clock else None,
        due_at=due.due_at if due else None,
        warn_at=due.warn_at if due else None,
        paused=bool(clock and clock.paused),
        stopped_at=clock.stopped_at if clock else None,
        remaining_office_seconds=remaining,
        warned=bool(clock and clock.warned),
        breached=bool(clock and clock.breached),
        escalated_to=list(clock.escalated_to) if clock else [],
    )


class SocialWorkStep(BaseModel):
    order: int
    key: str
    description: str
    role: str
    budget: str | None
    due_at: datetime | None
    done_at: datetime | None
    on_time: bool | None
    sessions: int | None = None
    sessions_planned: str | None = None
    breached: bool = False


class SocialWorkView(BaseModel):
    case_id: UUID
    stage: Stage
    psychologist: str | None
    steps: list[SocialWorkStep]


def social_work_view(state: CaseState, standards: CaseStandards) -> SocialWorkView:
    """The LK3 steps with their budgets; 409 `not_social_work` for another service."""
    steps = standards.social_work_steps(state)
    if steps is None:
        raise Refused.conflict(
            "not_social_work", "This case's service is not social work (LK3).", details={}
        )
    return SocialWorkView(
        case_id=state.case_id,
        stage=state.stage,
        psychologist=state.psychologist,
        steps=[SocialWorkStep(**vars(s), breached=s.key in state.steps_breached) for s in steps],
    )


# ---- the office's figures (the head of office's and the Kabid's dashboard) ---------------

# Stages after which a case is no longer open (resolved, closed, or gone to another case
# or office).
_FINISHED_STAGES = ("resolved", "closed", "forwarded", "merged")


async def office_summary(
    conn: asyncpg.Connection, office: str, since: datetime, until: datetime, now: datetime
) -> dict[str, Any]:
    """The office's figures: requests registered in [since, until) by channel and by
    service (and variant), resolved in the period and how many of those within their
    published time, and what is open and overdue now. Two statements over the case
    rows; aggregation in PostgreSQL."""
    counts = await conn.fetch(
        """SELECT channel, service, variant, count(*) AS n FROM casework.cases
           WHERE office = $1 AND opened_at >= $2 AND opened_at < $3
           GROUP BY channel, service, variant""",
        office,
        since,
        until,
    )
    totals = await conn.fetchrow(
        """SELECT
               count(*) FILTER (WHERE stage <> ALL($5::text[])) AS open,
               count(*) FILTER (WHERE clock_stopped_at IS NULL AND due_at IS NOT NULL
                                  AND due_at <= $4) AS overdue,
               count(*) FILTER (WHERE resolved_at >= $2 AND resolved_at < $3) AS resolved,
               count(*) FILTER (WHERE resolved_at >= $2 AND resolved_at < $3 AND NOT breached
                                  AND (due_at IS NULL OR resolved_at <= due_at))
                   AS resolved_on_time
           FROM casework.cases WHERE office = $1""",
        office,
        since,
        until,
        now,
        list(_FINISHED_STAGES),
    )
    by_channel: dict[str, int] = {}
    by_service: dict[tuple[str, str | None], int] = {}
    for r in counts:
        by_channel[r["channel"]] = by_channel.get(r["channel"], 0) + r["n"]
        key = (r["service"], r["variant"])
        by_service[key] = by_service.get(key, 0) + r["n"]
    resolved, on_time = int(totals["resolved"]), int(totals["resolved_on_time"])
    return {
        "registered": sum(by_channel.values()),
        "by_channel": [
            {"channel": c, "count": n}
            for c, n in sorted(by_channel.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "by_service": [
            {"service": s, "variant": v, "count": n}
            for (s, v), n in sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0][0]))
        ],
        "open": int(totals["open"]),
        "overdue": int(totals["overdue"]),
        "resolved": resolved,
        "resolved_on_time": on_time,
        "sla_compliance": round(on_time / resolved, 4) if resolved else None,
    }
