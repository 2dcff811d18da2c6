"""Use case: apply the offices' retention rule (`retention_years` in the catalogue).

The cases ended before their office's cut-off whose person is not yet erased are the
candidates; for each, the person's cases (every case of the same NIK) are checked, and the
person is erased through the same erasure as the data protection officer's
(`erase_personal_data`, `retention=True`, by `system:retention`) only when all of them are
past retention. Run at most daily by the casework runtime, and by
`python -m services.casework retention run [--dry-run] [--as-of DATE]`. A second sweep finds
nothing: an erased case has its erasure stream. Two replicas sweeping at once: the second
erasure of a person is refused (`already_erased`) and counted as done by the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.casework.adapters import retention as rows
from services.casework.domain import retention
from services.casework.service_layer.case_command import Actor, CaseRef
from services.casework.service_layer.erase_personal_data import erase_personal_data
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.eventstore.subjects import person_of_case
from shared.logging import bind_context, fresh_log_context, get_logger
from shared.refusal import Refused

log = get_logger(__name__)

RETENTION_ACTOR = "system:retention"


@dataclass(frozen=True)
class Expired:
    """A case past retention, and what the sweep did with its person."""

    case_id: UUID
    office: str
    ended_at: datetime
    outcome: str  # erased | would_erase | held (another case of the person is not past)
    cases: int  # how many cases the person has


@dataclass
class RetentionReport:
    as_of: datetime
    dry_run: bool
    cases: list[Expired] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.cases)


@fresh_log_context
async def apply_retention(
    pool: asyncpg.Pool,
    new_uow: NewUnitOfWork,
    retention_years: Mapping[str, int],
    as_of: datetime,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    cut = retention.cutoffs(retention_years, as_of)
    report = RetentionReport(as_of=as_of, dry_run=dry_run)
    async with pool.acquire() as conn:
        candidates = await rows.expired_cases(conn, cut)
    correlation = uuid4()
    actor = Actor(actor=RETENTION_ACTOR, correlation_id=correlation)
    settled: set[UUID] = set()  # cases of a person already erased (or held) in this sweep
    for row in candidates:
        case_id: UUID = row["case_id"]
        if case_id in settled:
            continue
        bind_context(case_id=str(case_id), correlation_id=str(correlation))
        async with pool.acquire() as conn:
            person = await person_of_case(conn, case_id)
            ends = await rows.case_ends(conn, person.cases)
        settled.update(person.cases)
        past = retention.past_retention(
            person.cases,
            {c: (r["office"], r["stage"], r["stage_changed_at"]) for c, r in ends.items()},
            cut,
            rows.ENDED_STAGES,
        )
        outcome = "held" if not past else "would_erase" if dry_run else "erased"
        if outcome == "erased":
            office = row["office"]
            case = CaseRef(case_id=case_id, office=office, channel=row["channel"])
            basis = retention.legal_basis(office, retention_years[office])
            try:
                await erase_personal_data(new_uow, case, basis, actor, retention=True)
            except Refused as exc:
                if exc.code != "already_erased":
                    raise
                log.info("retention_already_erased", case_id=str(case_id))
        report.cases.append(
            Expired(case_id, row["office"], row["ended_at"], outcome, len(person.cases))
        )
    bind_context(correlation_id=str(correlation))
    log.info(
        "retention_sweep",
        as_of=as_of.isoformat(),
        dry_run=dry_run,
        erased=report.count("erased"),
        would_erase=report.count("would_erase"),
        held=report.count("held"),
    )
    return report
