"""Read side: the checklist and the letters of a case, as staff screens show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.documents.adapters.scans import open_scan
from services.documents.domain.checklist import Checklist, Received, Requirement


async def case_office(conn: asyncpg.Connection, case_id: UUID) -> str | None:
    office = await conn.fetchval(
        "SELECT office FROM documents.checklists WHERE case_id = $1", case_id
    )
    return str(office) if office is not None else None


async def letter_office(conn: asyncpg.Connection, letter_id: UUID) -> str | None:
    office = await conn.fetchval(
        "SELECT office FROM documents.letters WHERE letter_id = $1", letter_id
    )
    return str(office) if office is not None else None


async def checklist(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM documents.checklists WHERE case_id = $1", case_id)
    if row is None:
        return None
    dtks = await conn.fetchrow(
        "SELECT status, reason, programmes, source FROM documents.eligibility WHERE case_id = $1",
        case_id,
    )
    received = _received_entries(row["received"] or {})
    state = Checklist(
        case_id=case_id,
        variant=row["variant"],
        required=tuple(Requirement.from_dict(r) for r in row["required"]),
        received={(r["type"], r["form"]): Received(r["type"], r["form"], "") for r in received},
        given=tuple(row["given"]),
    )
    return {
        "case_id": str(case_id),
        "office": row["office"],
        "service": row["service"],
        "variant": row["variant"],
        "ticket_number": row["ticket_number"],
        "required": [_required_entry(state, r) for r in state.required],
        "received": received,
        "declared": list(row["declared"]),
        "given": list(state.given),
        "missing": state.missing,
        "missing_documents": [
            [{"type": r.type, "name": r.name, "form": r.form} for r in group]
            for group in state.missing_groups()
        ],
        "missing_noted": row["missing_noted"],
        "missing_noted_at": row["missing_noted_at"].isoformat()
        if row["missing_noted_at"]
        else None,
        "complete": state.complete,
        "requested_at": row["registered_at"].isoformat(),
        "promise": row["promise"],
        "completed_at": row["completed_at"].isoformat() if row["completed_at"] else None,
        "dtks": {
            "required": row["requires_dtks"],
            "status": dtks["status"] if dtks else "pending",
            "reason": dtks["reason"] if dtks else None,
            "programmes": list(dtks["programmes"]) if dtks else [],
            "source": dtks["source"] if dtks else None,
        },
        "version": row["version"],
    }


GIVEN_NOTE = "Diberikan bersama permohonan"


def _required_entry(state: Checklist, req: Requirement) -> dict[str, Any]:
    """One requirement: `received` says it is met (by a document staff checked, or by
    the request itself); `given` says the request met it, `note` says so to staff."""
    given = state.given_with_request(req)
    return {
        **req.to_dict(),
        "received": state.satisfied(req),
        "given": given,
        "note": GIVEN_NOTE if given else None,
    }


def _received_entries(received: dict[str, Any]) -> list[dict[str, Any]]:
    """Entries keyed "<type>:<form>" (older rows: keyed by type alone)."""
    out = []
    for key, value in received.items():
        out.append(
            {
                "type": value.get("type", key.partition(":")[0]),
                "form": value.get("form", "copy"),
                "checked_by": value.get("checked_by"),
                "at": value.get("at"),
                "file": value.get("file"),
            }
        )
    return out


async def file(conn: asyncpg.Connection, file_id: UUID) -> dict[str, Any] | None:
    """A kept scan with its bytes opened (`content` None once its person is erased)."""
    row = await conn.fetchrow(
        """SELECT f.file_id, f.subject_id, f.content, f.erased_at, f.content_type, f.sha256,
                  c.office
           FROM documents.files f JOIN documents.checklists c USING (case_id)
           WHERE f.file_id = $1""",
        file_id,
    )
    if row is None:
        return None
    return {**dict(row), "content": await open_scan(conn, row)}


def _letter(row: Any) -> dict[str, Any]:
    chain: list[str] = list(row["chain"])
    step = row["current_step"]
    status = row["status"]
    if status == "signed":
        remaining: list[str] = []
    elif status == "returned":
        remaining = chain
    else:
        remaining = chain[step - 1 :]
    current = (
        {
            "step": step,
            "role": row["step_role"],
            "action": "sign" if step == len(chain) else "approve",
        }
        if step is not None
        else None
    )
    return {
        "letter_id": str(row["letter_id"]),
        "case_id": str(row["case_id"]),
        "office": row["office"],
        "service": row["service"],
        "variant": row["variant"],
        "product": row["product"],
        "letter_type": row["letter_type"],
        "status": status,
        "revision": row["revision"],
        "subject": row["subject"],
        "body": row["body"],
        "drafted_by": row["drafted_by"],
        "chain": chain,
        "current_step": current,
        "steps_done": row["approvals"],
        "returns": row["returns"],
        "remaining": remaining,
        "letter_number": row["letter_number"],
        "content_sha256": row["content_sha256"],
        "content": row["content"],
        "signed_by": row["signed_by"],
        "signed_at": row["signed_at"].isoformat() if row["signed_at"] else None,
        "drafted_at": row["drafted_at"].isoformat(),
        "issued": (
            {
                "at": row["issued_at"].isoformat(),
                "channel": row["issued_channel"],
                "by": row["issued_by"],
            }
            if row["issued_at"]
            else None
        ),
        "version": row["version"],
    }


async def letter(conn: asyncpg.Connection, letter_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM documents.letters WHERE letter_id = $1", letter_id)
    return _letter(row) if row is not None else None


async def case_letters(conn: asyncpg.Connection, case_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM documents.letters WHERE case_id = $1 ORDER BY drafted_at", case_id
    )
    return [_letter(r) for r in rows]


async def letters_waiting(
    conn: asyncpg.Connection,
    *,
    office: str,
    roles: list[str],
    statuses: list[str],
    limit: int = 200,
    after: tuple[datetime, datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Letters of `office` whose step now due is one of `roles` (an approval or the
    signature), in one of `statuses`, oldest waiting first: the approval inbox. The
    case's ticket number comes from the checklist (same schema). `after`: the
    (updated_at, drafted_at, letter_id) of the previous page's last letter."""
    rows = await conn.fetch(
        """SELECT l.*, c.ticket_number AS case_ticket
           FROM documents.letters l
           LEFT JOIN documents.checklists c USING (case_id)
           WHERE l.office = $1 AND l.step_role = ANY($2::text[]) AND l.status = ANY($3::text[])
             AND ($5::timestamptz IS NULL
                  OR (l.updated_at, l.drafted_at, l.letter_id) > ($5, $6, $7))
           ORDER BY l.updated_at, l.drafted_at, l.letter_id
           LIMIT $4""",
        office,
        roles,
        statuses,
        limit,
        *(after or (None, None, None)),
    )
    return [
        {
            **_letter(r),
            "ticket_number": r["case_ticket"],
            "waiting_since": r["updated_at"].isoformat(),
        }
        for r in rows
    ]
