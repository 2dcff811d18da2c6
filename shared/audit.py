"""The audit log of reads of personal data (issue 16, point 6): every read, and every
refusal of one, with who (staff id, office, roles), what (the subject: a case, a letter, an
inbound message, a keyed hash of a NIK), when, why (the purpose) and the outcome.

One table per service schema, `<service>.audit_log` (`audit_migrations/`, applied with the
service's own migrations): append-only (a trigger refuses UPDATE, DELETE, TRUNCATE) and
hash-chained (each row carries SHA-256 over the previous row's hash and its own content,
computed under a lock by an insert trigger), so a row removed or changed behind the
triggers' back is found by `verify`, which names the position of the break.

Routes declare what they read with one dependency, `audited(action, subject=...)`; it
writes the row after the route has answered or been refused (`refused:<code>`), in a
short transaction of its own. A request without a valid token is logged to the structured
log only (nobody read anything, and no stranger should make the chain grow). Every
service gets the auditor's API (`router`): `GET /v1/audit` (the rows about the auditor's
office, or by its staff) and
`GET /v1/audit/verify` (the chain), for the role `auditor` only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from shared.api_models import NEXT_CURSOR_DESCRIPTION
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.vocab import Role
from shared.logging import get_logger
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.settings import get_settings

log = get_logger(__name__)

AUDIT_MIGRATIONS = Path(__file__).parent / "audit_migrations"
AUDITORS = (Role.AUDITOR,)
UNAUTHENTICATED = "unauthenticated"


@dataclass(frozen=True)
class Entry:
    """One read of personal data, or one refusal of it."""

    actor: str
    action: str
    subject: str
    outcome: str
    actor_office: str | None = None
    roles: tuple[str, ...] = ()
    office: str | None = None  # whose data it is, where known
    purpose: str | None = None
    correlation_id: UUID | None = None

    @classmethod
    def by(cls, staff: StaffIdentity | None, **fields: Any) -> Entry:
        if staff is None:
            return cls(actor=UNAUTHENTICATED, **fields)
        return cls(
            actor=staff.actor,
            actor_office=staff.office,
            roles=tuple(sorted(r.value for r in staff.roles)),
            **fields,
        )


def nik_subject(nik: str, key: str | None = None) -> str:
    """A NIK as the audit log names it: a keyed hash (SLRT_AUDIT_KEY), never the number."""
    secret = (key if key is not None else get_settings().slrt_audit_key).encode()
    return "nik:" + hmac.new(secret, nik.encode(), hashlib.sha256).hexdigest()[:32]


def _text(value: str | None) -> str | None:
    # What a caller sent (a purpose, a path) is kept even with a NUL PostgreSQL cannot
    # store: replaced, never a lost row.
    return value.replace("\x00", "\ufffd") if value is not None else None


async def record(db: asyncpg.Pool | asyncpg.Connection, schema: str, entry: Entry) -> None:
    """Append one row (its position and hashes are the trigger's)."""
    await db.execute(
        f"""INSERT INTO "{schema}".audit_log (actor, actor_office, roles, action, subject,
                office, purpose, outcome, correlation_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        _text(entry.actor),
        _text(entry.actor_office),
        list(entry.roles),
        entry.action,
        _text(entry.subject),
        _text(entry.office),
        _text(entry.purpose),
        _text(entry.outcome),
        entry.correlation_id,
    )


async def read(
    db: asyncpg.Pool | asyncpg.Connection,
    schema: str,
    *,
    office: str,
    after: int = 0,
    limit: int = 100,
    action: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Rows about `office`'s data or by its staff, oldest first after `after`."""
    rows = await db.fetch(
        f"""SELECT position, at, actor, actor_office, roles, action, subject, office,
                   purpose, outcome, correlation_id, hash
            FROM "{schema}".audit_log
            WHERE (office = $1 OR actor_office = $1) AND position > $2
              AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR subject = $4)
            ORDER BY position LIMIT $5""",
        office,
        after,
        action,
        subject,
        limit,
    )
    return [
        {
            **dict(r.items()),
            "at": r["at"].isoformat(),
            "correlation_id": str(r["correlation_id"]) if r["correlation_id"] else None,
        }
        for r in rows
    ]


@dataclass(frozen=True)
class Verification:
    intact: bool
    rows: int
    broken_at: int | None = None  # the first position where the chain does not hold
    reason: str | None = None


async def verify(db: asyncpg.Pool | asyncpg.Connection, schema: str) -> Verification:
    """Walk the chain in order: positions without a gap, each row linked to the one
    before, each hash the hash of its content. The first break is named."""
    rows = await db.fetch(
        f"""SELECT a.position, a.prev_hash, a.hash,
                   "{schema}".audit_hash(a.prev_hash, a) AS recomputed
            FROM "{schema}".audit_log a ORDER BY a.position"""
    )
    expected_position, expected_prev = 1, "genesis"
    for r in rows:
        position = r["position"]
        if position != expected_position:
            return Verification(
                False,
                len(rows),
                expected_position,
                f"rows {expected_position}..{position - 1} are missing",
            )
        if r["prev_hash"] != expected_prev:
            return Verification(
                False, len(rows), position, f"row {position} does not follow row {position - 1}"
            )
        if r["hash"] != r["recomputed"]:
            return Verification(
                False, len(rows), position, f"row {position} was changed after it was written"
            )
        expected_position, expected_prev = position + 1, r["hash"]
    return Verification(True, len(rows))


def _schema(request: Request) -> str:
    name: str = request.app.state.runtime.name
    return name


async def _write(request: Request, entry: Entry) -> None:
    try:
        await record(request.app.state.runtime.pool, _schema(request), entry)
    except Exception as exc:
        # The read has happened; its row must not be lost silently: say so loudly.
        log.error("audit_write_failed", action=entry.action, error=repr(exc))
        raise


def audited(action: str, *, subject: str | None = None, kind: str | None = None) -> Any:
    """A route dependency: the read (or its refusal) is written to the audit log once the
    route has answered. `subject`: the path parameter naming what is read (`kind:value`);
    without it, the caller's office's list (`office:<office>`). The purpose is the
    request's `purpose` or `case_id` parameter, else the action itself. A route may say
    whose data it was with `request.state.audit_office`."""

    async def written(request: Request, outcome: str, office: Any = None) -> None:
        staff: StaffIdentity | None = getattr(request.state, "staff", None)
        if staff is None:
            # No valid token: nobody read anything. The attempt goes to the structured log
            # only: an unauthenticated caller must not be able to make the services write
            # (and serialise on) their audit chains at will.
            log.warning("access_unauthenticated", action=action, outcome=outcome)
            return
        value = request.path_params.get(subject) if subject else None
        if value is None:
            what = f"office:{staff.office}"
        elif kind == "nik":
            what = nik_subject(str(value))
        else:
            what = f"{kind or subject}:{value}"
        params = request.query_params
        purpose = params.get("purpose") or (
            f"case:{params['case_id']}" if params.get("case_id") else action
        )
        office = getattr(request.state, "audit_office", None) or office
        if office is None and outcome == "allowed":
            office = staff.office
        await _write(
            request,
            Entry.by(
                staff,
                action=action,
                subject=what,
                outcome=outcome,
                office=office if isinstance(office, str) else None,
                purpose=purpose[:200],
                correlation_id=getattr(request.state, "correlation_id", None),
            ),
        )

    async def dependency(request: Request) -> AsyncIterator[None]:
        try:
            yield
        except Refused as refused:
            office = refused.details.get("office") if refused.details else None
            await written(request, f"refused:{refused.code}", office)
            raise
        except Exception:
            await written(request, "failed")
            raise
        else:
            await written(request, "allowed")

    return Depends(dependency)


router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditRow(BaseModel):
    """One row of the log (a NIK only ever as its keyed hash, in `subject`)."""

    model_config = ConfigDict(extra="allow")
    position: int = Field(description="Its place in the hash chain.")
    at: str
    actor: str
    actor_office: str | None = None
    roles: list[str] = Field(default_factory=list)
    action: str = Field(description="What was read or tried, e.g. `read_eligibility`.")
    subject: str = Field(description="Whose data: `case:<id>`, `nik:<hash>`, `office:<id>`.")
    office: str | None = Field(None, description="The office whose data it was.")
    purpose: str | None = None
    outcome: str = Field(description="`allowed`, `failed` or `refused:<code>`.")
    correlation_id: str | None = None
    hash: str


class AuditLog(BaseModel):
    service: str
    office: str
    items: list[AuditRow]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR_DESCRIPTION)


class AuditVerification(BaseModel):
    service: str
    intact: bool
    rows: int
    broken_at: int | None = Field(None, description="The first position where it breaks.")
    reason: str | None = None


@router.get(
    "",
    summary="The audit log: reads of personal data of my office, and refusals",
    response_model=AuditLog,
)
async def get_audit_log(
    request: Request,
    staff: Staff,
    after: Annotated[
        int, Query(ge=0, le=2**62, deprecated=True, description="Deprecated: use `cursor`.")
    ] = 0,
    limit: Annotated[int, limit_query(most=1000)] = 100,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    nik: Annotated[
        str | None, Query(pattern=r"^\d{16}$", description="Rows about this NIK (hashed).")
    ] = None,
) -> dict[str, Any]:
    authorize(staff, roles=AUDITORS)
    schema = _schema(request)
    pool = request.app.state.runtime.pool
    position = read_cursor(cursor, position=int)
    rows = await read(
        pool,
        schema,
        office=staff.office,
        after=position["position"] if position else after,
        limit=limit + 1,
        action=action,
        subject=nik_subject(nik) if nik else subject,
    )
    # Reading the log is itself on the log.
    await record(
        pool,
        schema,
        Entry.by(
            staff,
            action="read_audit_log",
            subject=f"office:{staff.office}",
            outcome="allowed",
            office=staff.office,
            purpose="audit",
        ),
    )
    items, next_cursor = page_of(rows, limit, lambda r: {"position": r["position"]})
    return {"service": schema, "office": staff.office, "items": items, "next_cursor": next_cursor}


@router.get(
    "/verify",
    summary="Whether the audit log's hash chain is intact",
    response_model=AuditVerification,
)
async def get_audit_verification(request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=AUDITORS)
    result = await verify(request.app.state.runtime.pool, _schema(request))
    return {"service": _schema(request), **asdict(result)}
