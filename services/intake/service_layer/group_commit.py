"""Group commit: registrations that arrive together are written in one transaction.

The batched twin of `register_valid_request.py`, built from the same parts (the new case
and its events in `domain/new_case.py`, the duplicate rule in `domain/duplicates.py`, the
rows in `adapters/repository.py`); it keeps its own statements because it is the hot path
(benchmarked): one statement per kind of row, whatever the batch's size.

A registration written on its own is a transaction of about eight round trips to
PostgreSQL, and on a small machine each round trip costs more CPU (system calls and
context switches) than the work in it. The writer takes the registrations waiting for it,
up to MAX_BATCH, and writes them in one transaction of a few statements however many
they are; each request is answered after the commit, never before: a 201 still means
the case is durable.

Within a batch the order of arrival is kept: tickets, citizens and likely duplicates come
out as they would one after the other. If a batch fails as a whole, its requests are
written one at a time, so one bad request never fails the others and each gets its own
answer (a refusal is a refusal for that request alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.commands import RegisterRequest
from services.intake.domain.new_case import (
    Identified,
    NewCase,
    refuse_if_other_office,
    resent_decision,
)
from services.intake.domain.registration import ValidRequest
from services.intake.service_layer.issue_check_code import check_code_rows, sealed_check_code
from services.intake.service_layer.register_valid_request import (
    Registered,
    register_valid_request,
)
from shared.at_rest import Sealer
from shared.eventstore.store import Append, EventStore
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)

MAX_BATCH = 64
WRITERS = 2  # while one batch waits for its commit, the next is being written


@dataclass
class Pending:
    """A valid request waiting for its batch, with the raw message to keep."""

    valid: ValidRequest
    cmd: RegisterRequest
    inbound_id: UUID
    actor: str
    correlation_id: UUID
    inbound: dict[str, Any]  # record_inbound's keywords, without the decision
    future: asyncio.Future[Registered] = field(repr=False)


@dataclass
class _Outcome:
    """What the batch decided for one request."""

    decision: dict[str, Any]
    registered: Registered | None = None
    refused: Refused | None = None
    written: Identified | None = None


def _fail(batch: list[Pending], exc: BaseException) -> None:
    for p in batch:
        if not p.future.done():
            p.future.set_exception(exc)


class RegistrationWriter:
    def __init__(self, pool: Callable[[], asyncpg.Pool], store: EventStore) -> None:
        self._pool = pool
        self._store = store
        self._waiting: list[Pending] = []
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.batches = 0
        self.written = 0

    async def register(
        self,
        valid: ValidRequest,
        cmd: RegisterRequest,
        *,
        inbound_id: UUID,
        actor: str,
        correlation_id: UUID,
        inbound: dict[str, Any],
    ) -> Registered:
        """Queue a valid request; return once its case is committed (or raise its refusal)."""
        if not self._tasks:
            # A context of their own: not the log context of the request that started them.
            self._tasks = [
                asyncio.create_task(
                    self._run(), name=f"intake-writer-{i}", context=contextvars.Context()
                )
                for i in range(WRITERS)
            ]
        future: asyncio.Future[Registered] = asyncio.get_running_loop().create_future()
        self._waiting.append(
            Pending(valid, cmd, inbound_id, actor, correlation_id, inbound, future)
        )
        self._ready.set()
        # Shielded: a client that hangs up does not undo a registration already on its way.
        return await asyncio.shield(future)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        _fail(self._waiting, RuntimeError("intake is stopping; the request was not registered"))
        self._waiting = []

    async def _run(self) -> None:
        while True:
            if not self._waiting:
                self._ready.clear()
                await self._ready.wait()
                continue
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                # Stopped mid-batch: its transaction rolls back; nobody is left waiting.
                _fail(batch, RuntimeError("intake is stopping; the request was not registered"))
                raise
            except Exception as exc:  # the futures carry it; the writer keeps going
                _fail(batch, exc)

    async def _write(self, batch: list[Pending]) -> None:
        try:
            async with IntakeUnitOfWork(self._pool(), self._store) as uow:
                outcomes = await self._write_batch(uow, batch)
                await uow.commit()
        except Exception as exc:
            log.warning("registration_batch_failed", size=len(batch), error=repr(exc))
            for p in batch:
                await self._write_one(p)
            return
        self.batches += 1
        self.written += len(batch)
        for p, outcome in zip(batch, outcomes, strict=True):
            if p.future.done():
                continue
            if outcome.refused is not None:
                p.future.set_exception(outcome.refused)
            else:
                assert outcome.registered is not None
                p.future.set_result(outcome.registered)

    async def _write_one(self, p: Pending) -> None:
        """The one-at-a-time path, in its own transaction (what a batch falls back to)."""

        async def keep(conn: asyncpg.Connection, **decision: Any) -> None:
            await repo.record_inbound(conn, **p.inbound, **decision)

        try:
            async with IntakeUnitOfWork(self._pool(), self._store) as uow:
                result = await register_valid_request(
                    uow,
                    p.valid,
                    p.cmd,
                    inbound_id=p.inbound_id,
                    actor=p.actor,
                    correlation_id=p.correlation_id,
                    claims={},
                    keep=keep,
                )
                await uow.commit()
        except Exception as exc:
            if not p.future.done():
                p.future.set_exception(exc)
            return
        if not p.future.done():
            p.future.set_result(result)

    async def _write_batch(self, uow: IntakeUnitOfWork, batch: list[Pending]) -> list[_Outcome]:
        conn = uow.conn
        outcomes: list[_Outcome | None] = [None] * len(batch)
        # 1. Redeliveries: a (channel, external id) registered before, or earlier in this batch.
        keys = [
            (p.valid.channel.value, p.cmd.external_id)
            for p in batch
            if p.cmd.external_id is not None
        ]
        known = await repo.find_by_external_ids(conn, keys) if keys else {}
        first_in_batch: dict[tuple[str, str], int] = {}
        fresh: list[tuple[int, NewCase]] = []
        for i, p in enumerate(batch):
            if p.cmd.external_id is not None:
                key = (p.valid.channel.value, p.cmd.external_id)
                if key in known:
                    try:
                        refuse_if_other_office(known[key].office, p.valid, p.cmd.external_id)
                    except Refused as refusal:
                        outcomes[i] = _Outcome({}, refused=refusal)
                        continue
                    existing = known[key]
                    outcomes[i] = _Outcome(
                        resent_decision(existing.case_id),
                        Registered(p.inbound_id, existing.case_id, existing.ticket_number, True),
                    )
                    continue
                if key in first_in_batch:
                    continue  # decided below, once the first one has its case
                first_in_batch[key] = i
            fresh.append((i, NewCase.prepare(p.valid, p.cmd, None)))

        # 2. Citizens, likely duplicates and tickets for the new cases, in order.
        found = await repo.identify_many(conn, [new.to_identify() for _, new in fresh])
        written: list[Identified] = []
        for (i, new), known_ in zip(fresh, found, strict=True):
            # The batch's own earlier cases are not in the table yet: the duplicate rule
            # (`domain/duplicates.py`) judges them here.
            case = new.identified(known_, written)
            written.append(case)
            p = batch[i]
            outcomes[i] = _Outcome(
                {"status": "accepted", "case_id": new.case_id},
                Registered(p.inbound_id, new.case_id, case.ticket_number, False, new.check_code),
                written=case,
            )
        for i, p in enumerate(batch):
            if outcomes[i] is None:  # sent twice within this batch: the first one's case
                assert p.cmd.external_id is not None
                first = outcomes[first_in_batch[(p.valid.channel.value, p.cmd.external_id)]]
                assert first is not None
                assert first.registered is not None
                case_id = first.registered.case_id
                outcomes[i] = _Outcome(
                    resent_decision(case_id),
                    Registered(p.inbound_id, case_id, first.registered.ticket_number, True),
                )
        done = [o for o in outcomes if o is not None]

        # 3. The events of every new case, the raw messages with their decision, and
        #    intake's own rows: one statement each, whatever the batch's size.
        cases = [(p, o.written) for p, o in zip(batch, done, strict=True) if o.written]
        _, subjects = await self._store.append_many_with_subjects(
            conn,
            [
                Append(
                    case.stream_id,
                    0,
                    case.events(check_code_sealed=sealed_check_code(case)),
                    case.meta(actor=p.actor, correlation_id=p.correlation_id),
                )
                for p, case in cases
            ],
        )
        # A new case's raw message is sealed with the subject its events just were (the
        # same anchors: the case and the message's flow), not found again.
        sealed_with = {
            id(case): Sealer(s.subject_id, s.key)
            for (_, case), s in zip(cases, subjects, strict=True)
            if s.subject_id is not None
        }
        kept = [(p, o) for p, o in zip(batch, done, strict=True) if o.refused is None]
        await repo.record_inbound_many(
            conn,
            [{**p.inbound, **o.decision} for p, o in kept],
            [sealed_with.get(id(o.written)) if o.written else None for _, o in kept],
        )
        if cases:
            await repo.add_registrations(
                conn,
                [(case, p.inbound_id) for p, case in cases],
                check_code_rows(case for _, case in cases),
            )
        duplicates = [case for _, case in cases if case.duplicate is not None]
        if duplicates:
            await repo.add_duplicates(conn, duplicates)
        return done
