"""Read side of intake: inbound messages, the triage queue, likely duplicates and the
walk-in desk (for staff), and the catalogue (for everyone)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.adapters.sealed import open_row, open_rows, open_visits
from shared.catalogue import Catalogue, Office
from shared.personal import ERASED_TEXT

_LIST_COLUMNS = """id, received_at, source, status, reason, reason_message, reason_details,
    channel, office, external_id, case_id, entered_by, entered_by_office, correlation_id,
    content_type, body_truncated, decided_at, anonymous, confidential,
    id AS inbound_id, subject_id"""


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "received_at": row["received_at"].isoformat(),
        "source": row["source"],
        "status": row["status"],
        "reason": row["reason"],
        "message": row["reason_message"],
        "details": row["reason_details"],
        "channel": row["channel"],
        "office": row["office"],
        "external_id": row["external_id"],
        "case_id": str(row["case_id"]) if row["case_id"] else None,
        "entered_by": row["entered_by"],
        "entered_by_office": row["entered_by_office"],
        "correlation_id": str(row["correlation_id"]),
        "content_type": row["content_type"],
        "body_truncated": row["body_truncated"],
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        "anonymous": row["anonymous"],
        "confidential": row["confidential"],
    }


async def inbound_message(
    conn: asyncpg.Connection, inbound_id: UUID
) -> tuple[str | None, dict[str, Any]] | None:
    """(office, the message with its body as received, opened), or None if there is no
    such id. Once its person is erased: `erased`, no headers, and the body reads as
    erased."""
    found = await conn.fetchrow(
        f"""SELECT {_LIST_COLUMNS}, headers, body
            FROM intake.inbound_messages WHERE id = $1""",
        inbound_id,
    )
    if found is None:
        return None
    row = await open_row(conn, found)
    body: bytes = row["body"] or b""
    out = _summary(row)
    out["erased"] = row["erased"]
    out["headers"] = row["headers"] or {}
    # The exact bytes (base64) and, for reading, the same decoded leniently.
    out["body_base64"] = base64.b64encode(body).decode("ascii")
    out["body_text"] = ERASED_TEXT if row["erased"] else body.decode("utf-8", errors="replace")
    return row["office"], out


async def record_read(conn: asyncpg.Connection, inbound_id: UUID, actor: str) -> None:
    """Inbound messages hold personal data: every staff read is itself recorded."""
    await conn.execute(
        "INSERT INTO intake.inbound_reads (inbound_id, actor) VALUES ($1, $2)", inbound_id, actor
    )


async def inbound_messages(
    conn: asyncpg.Connection,
    *,
    office: str,
    include_without_office: bool,
    status: str | None,
    before: datetime | None,
    limit: int,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Newest first, of one office (plus those no office could be read from, for admins);
    `after`: the (received_at, id) of the last message of the previous page."""
    rows = await conn.fetch(
        f"""SELECT {_LIST_COLUMNS} FROM intake.inbound_messages
            WHERE (office = $1 OR ($2 AND office IS NULL))
              AND ($3::text IS NULL OR status = $3)
              AND ($4::timestamptz IS NULL OR received_at < $4)
              AND ($6::timestamptz IS NULL OR received_at < $6
                   OR (received_at = $6 AND id > $7))
            ORDER BY received_at DESC, id
            LIMIT $5""",
        office,
        include_without_office,
        status,
        before,
        limit,
        after[0] if after else None,
        after[1] if after else None,
    )
    return [_summary(r) for r in await open_rows(conn, rows)]


def catalogue_summary(catalogue: Catalogue) -> dict[str, Any]:
    """Every office and what it offers, in brief."""
    return {
        "offices": [
            {
                "id": office.id,
                "name": office.name,
                "region_code": office.region_code,
                "services": [
                    {
                        "id": svc.id,
                        "name": svc.name,
                        "workflow": svc.workflow,
                        "requires_dtks": svc.requires_dtks,
                        "channels": [c.value for c in svc.channels],
                        "variants": [{"id": v.id, "name": v.name} for v in svc.variants.values()],
                        "completion_time": svc.completion_time.label,
                    }
                    for svc in office.services.values()
                ],
            }
            for office in catalogue.offices.values()
        ]
    }


def office_standards(office: Office) -> dict[str, Any]:
    """One office's published standards in full, minus officials' NIPs (personal data)."""
    data = office.model_dump(mode="json")
    data["signatories"] = {
        role: {k: v for k, v in sig.items() if k != "nip"}
        for role, sig in data.get("signatories", {}).items()
    }
    return data


async def triage_queue(
    conn: asyncpg.Connection,
    *,
    office: str,
    include_without_office: bool,
    limit: int = 500,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Oldest first: what waits for staff to say what it is (no identity shown); `after`:
    the (queued_at, inbound_id) of the last item of the previous page."""
    found = await conn.fetch(
        """SELECT t.inbound_id, t.office, t.channel, t.reason, t.summary, t.queued_at,
                  m.subject_id
           FROM intake.triage t JOIN intake.inbound_messages m ON m.id = t.inbound_id
           WHERE t.classified_at IS NULL AND (t.office = $1 OR ($2 AND t.office IS NULL))
             AND ($4::timestamptz IS NULL OR (t.queued_at, t.inbound_id) > ($4, $5))
           ORDER BY t.queued_at, t.inbound_id LIMIT $3""",
        office,
        include_without_office,
        limit,
        after[0] if after else None,
        after[1] if after else None,
    )
    rows = await open_rows(conn, found)
    return [
        {
            "inbound_id": str(r["inbound_id"]),
            "office": r["office"],
            "channel": r["channel"],
            "reason": r["reason"],
            "summary": ERASED_TEXT if r["erased"] else r["summary"],
            "queued_at": r["queued_at"].isoformat(),
        }
        for r in rows
    ]


async def duplicates_view(
    conn: asyncpg.Connection,
    *,
    office: str,
    status: str,
    limit: int = 500,
    after: tuple[datetime, UUID, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Oldest suspicion first; `after`: the (suspected_at, case_id, duplicate_of) of the
    last link of the previous page."""
    rows = await conn.fetch(
        """SELECT d.case_id, d.duplicate_of, d.reason, d.status, d.suspected_at, d.decided_by,
                  a.ticket_number AS ticket, b.ticket_number AS duplicate_of_ticket
           FROM intake.duplicates d
           JOIN intake.registrations a ON a.case_id = d.case_id
           JOIN intake.registrations b ON b.case_id = d.duplicate_of
           WHERE d.office = $1 AND d.status = $2
             AND ($4::timestamptz IS NULL
                  OR (d.suspected_at, d.case_id, d.duplicate_of) > ($4, $5, $6))
           ORDER BY d.suspected_at, d.case_id, d.duplicate_of LIMIT $3""",
        office,
        status,
        limit,
        *(after or (None, None, None)),
    )
    return [
        {
            "case_id": str(r["case_id"]),
            "ticket_number": r["ticket"],
            "duplicate_of": str(r["duplicate_of"]),
            "duplicate_of_ticket": r["duplicate_of_ticket"],
            "reason": r["reason"],
            "status": r["status"],
            "suspected_at": r["suspected_at"].isoformat(),
            "decided_by": r["decided_by"],
        }
        for r in rows
    ]


def _visit(r: Any) -> dict[str, Any]:
    return {
        "visit_id": str(r["id"]),
        "queue_number": r["queue_number"],
        "visit_date": r["visit_date"].isoformat(),
        "visitor_name": r["visitor_name"],
        "purpose": r["purpose"],
        "checked_in_at": r["checked_in_at"].isoformat(),
        "called_at": r["called_at"].isoformat() if r["called_at"] else None,
        "case_id": str(r["case_id"]) if r["case_id"] else None,
        "id_card": (
            None
            if r["id_card_left_at"] is None
            else {
                "kind": r["id_card_kind"],
                "left_at": r["id_card_left_at"].isoformat(),
                "returned_at": r["id_card_returned_at"].isoformat()
                if r["id_card_returned_at"]
                else None,
            }
        ),
    }


async def visits_of_day(
    conn: asyncpg.Connection,
    office: str,
    day: Any,
    limit: int | None = None,
    after: str | None = None,
) -> list[dict[str, Any]]:
    """One day's guest book by queue number; `after`: the last queue number seen."""
    rows = await conn.fetch(
        """SELECT * FROM intake.visits WHERE office = $1 AND visit_date = $2
               AND ($4::text IS NULL OR queue_number > $4)
           ORDER BY queue_number LIMIT $3""",
        office,
        day,
        limit,
        after,
    )
    return [_visit(r) for r in await open_visits(conn, rows)]


async def id_cards_held(
    conn: asyncpg.Connection,
    office: str,
    limit: int | None = None,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Longest held first; `after`: the (left_at, visit id) of the previous page's last."""
    rows = await conn.fetch(
        """SELECT * FROM intake.visits WHERE office = $1 AND id_card_left_at IS NOT NULL
               AND id_card_returned_at IS NULL
               AND ($3::timestamptz IS NULL OR (id_card_left_at, id) > ($3, $4))
           ORDER BY id_card_left_at, id LIMIT $2""",
        office,
        limit,
        *(after or (None, None)),
    )
    return [_visit(r) for r in await open_visits(conn, rows)]
