"""The pieces every service shares: the refusal, its HTTP mapping, the unit of work and the
one use-case runner (on the in-memory fake), typed handlers, local time, stream ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.consumer import handles
from shared.contracts import streams
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import LetterSigned
from shared.contracts.vocab import Role
from shared.eventstore.store import ConcurrencyError
from shared.http import install_error_handlers
from shared.localtime import WIB, WIT, WITA, local_date, local_today, zone_of
from shared.refusal import Refused
from shared.unit_of_work import (
    InMemoryEventLog,
    InMemoryUnitOfWork,
    Loaded,
    decide_and_append,
)

# ---- the refusal and its one HTTP mapping ----------------------------------------------


def test_named_refusals_carry_their_status() -> None:
    assert Refused.conflict("illegal_transition", "x").status == 409
    assert Refused.forbidden("wrong_role", "x").status == 403
    assert Refused.invalid("unknown_variant", "x").status == 422
    assert Refused.not_found("case_not_found", "x").status == 404
    r = Refused("gone", "x", status=410, details={"stage": "closed"})
    assert (r.code, r.message, r.status, r.details) == ("gone", "x", 410, {"stage": "closed"})


def test_a_refusal_raised_anywhere_is_answered_with_its_status_and_reason() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refuse")
    async def refuse() -> None:
        raise Refused.forbidden("wrong_role", "Hanya Kabid.", {"needed": ["head_of_division"]})

    @app.get("/plain")
    async def plain() -> None:
        raise Refused.conflict("already_resolved", "Kasus sudah selesai.")

    client = TestClient(app)
    r = client.get("/refuse")
    assert r.status_code == 403
    assert r.json() == {
        "error": {
            "code": "wrong_role",
            "message": "Hanya Kabid.",
            "details": {"needed": ["head_of_division"]},
        }
    }
    r = client.get("/plain")
    assert r.status_code == 409
    assert r.json() == {"error": {"code": "already_resolved", "message": "Kasus sudah selesai."}}


class _Body(BaseModel):
    reason: str


def test_a_body_that_is_not_json_or_not_the_schema_is_answered_alike_everywhere() -> None:
    """Every service answers as intake does: 400 `malformed_json`, 422 `invalid_request`,
    the field paths in `details.errors` (an object, so the staff pages can read it)."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/cmd")
    async def cmd(body: _Body) -> None:
        return None

    client = TestClient(app)
    r = client.post("/cmd", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    assert r.json()["error"]["details"]["errors"][0]["type"] == "json_invalid"
    r = client.post("/cmd", json={"reason": 3})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    assert r.json()["error"]["details"]["errors"][0]["loc"] == ["body", "reason"]


# ---- the unit of work and decide_and_append ----------------------------------------------


def _meta(case_id: UUID) -> EventMetadata:
    return EventMetadata(case_id=case_id, office="lumajang", correlation_id=uuid4(), actor="t")


def _signed(case_id: UUID) -> LetterSigned:
    return LetterSigned.model_validate(
        {
            "letter_id": str(uuid4()),
            "case_id": str(case_id),
            "letter_number": "400.9/0001/427.64/XI/2026",
            "letter_type": "surat_rekomendasi",
            "signed_by": "staff:lmj-sec",
            "role": "secretary",
            "content_sha256": "0" * 64,
        }
    )


@dataclass
class CountingRepo:
    """A toy aggregate: the number of events in its stream. `interfere` appends behind the
    runner's back once, as a concurrent writer would."""

    uow: InMemoryUnitOfWork
    interfere: list[bool]

    async def load(self, key: UUID) -> Loaded[int]:
        stream = await self.uow.events.read_stream(streams.case_stream(key))
        version = len(stream)
        if self.interfere and self.interfere.pop():
            other = InMemoryUnitOfWork(self.uow.events)
            await other.events.append(streams.case_stream(key), version, [_signed(key)], _meta(key))
            await other.commit()
        return Loaded(state=version, version=version)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        return await self.uow.events.append(streams.case_stream(key), version, events, meta)


async def test_decide_and_append_commits_what_the_domain_decided() -> None:
    log = InMemoryEventLog()
    case_id = uuid4()
    appended = await decide_and_append(
        lambda: InMemoryUnitOfWork(log),
        lambda uow: CountingRepo(uow, []),
        case_id,
        lambda n: [_signed(case_id)] if n == 0 else [],
        _meta(case_id),
    )
    assert [e.stream_version for e in appended] == [1]
    assert [e.stream_id for e in log.committed] == [f"case-{case_id}"]
    assert isinstance(log.committed[0].payload(), LetterSigned)


async def test_a_refusal_writes_nothing() -> None:
    log = InMemoryEventLog()
    case_id = uuid4()

    def refuse(_: int) -> list[Event]:
        raise Refused.conflict("illegal_transition", "no")

    with pytest.raises(Refused):
        await decide_and_append(
            lambda: InMemoryUnitOfWork(log),
            lambda uow: CountingRepo(uow, []),
            case_id,
            refuse,
            _meta(case_id),
        )
    assert log.committed == [] and log.pending == []


async def test_a_moved_stream_is_decided_again_on_the_new_state() -> None:
    log = InMemoryEventLog()
    case_id = uuid4()
    seen: list[int] = []

    def decide(n: int) -> list[Event]:
        seen.append(n)
        return [_signed(case_id)]

    races = [True]  # the first load races a concurrent writer, the second does not
    appended = await decide_and_append(
        lambda: InMemoryUnitOfWork(log),
        lambda uow: CountingRepo(uow, races),
        case_id,
        decide,
        _meta(case_id),
    )
    assert seen == [0, 1]  # refused by the store once, decided again on version 1
    assert appended[0].stream_version == 2
    assert len(log.committed) == 2


async def test_a_stream_that_keeps_moving_gives_up_after_its_attempts() -> None:
    log = InMemoryEventLog()
    case_id = uuid4()
    races = [True, True]
    with pytest.raises(ConcurrencyError):
        await decide_and_append(
            lambda: InMemoryUnitOfWork(log),
            lambda uow: CountingRepo(uow, races),
            case_id,
            lambda _n: [_signed(case_id)],
            _meta(case_id),
            attempts=2,
        )


async def test_leaving_a_unit_of_work_without_commit_rolls_back() -> None:
    log = InMemoryEventLog()
    case_id = uuid4()
    async with InMemoryUnitOfWork(log) as uow:
        await uow.events.append(streams.case_stream(case_id), 0, [_signed(case_id)], _meta(case_id))
    assert log.committed == [] and log.pending == []


# ---- typed handlers ----------------------------------------------------------------------


async def test_a_typed_handler_receives_its_own_event_class() -> None:
    got: list[Any] = []

    async def when_letter_signed(conn: Any, event: LetterSigned, envelope: EventEnvelope) -> None:
        got.append((event, envelope.event_type))

    table = handles(LetterSigned, when_letter_signed)
    assert list(table) == ["LetterSigned"]
    log = InMemoryEventLog()
    case_id = uuid4()
    [envelope] = await log.append(
        streams.case_stream(case_id), 0, [_signed(case_id)], _meta(case_id)
    )
    await table["LetterSigned"](None, envelope)  # no connection needed here
    assert isinstance(got[0][0], LetterSigned) and got[0][1] == "LetterSigned"


# ---- local time, stream ids, role names ----------------------------------------------------


def test_indonesian_time_zones_by_province() -> None:
    assert zone_of("35.08") is WIB  # Lumajang, East Java
    assert zone_of("13.77") is WIB  # Pariaman, West Sumatra
    assert zone_of("52.71") is WITA  # Mataram, West Nusa Tenggara
    assert zone_of("53.71") is WITA  # Kupang, East Nusa Tenggara
    assert zone_of("94.71") is WIT  # Jayapura, Papua
    new_year_in_mataram = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 WITA
    assert local_date(new_year_in_mataram, "52.71") == date(2027, 1, 1)
    assert local_date(new_year_in_mataram, "35.08") == date(2026, 12, 31)
    assert local_today("52.71", new_year_in_mataram) == date(2027, 1, 1)


def test_stream_ids_are_named_by_their_owner() -> None:
    case_id = UUID(int=1)
    assert streams.complaint_stream(case_id) == f"complaint-{case_id}"
    assert streams.case_stream(case_id) == f"case-{case_id}"
    assert streams.checklist_stream(case_id) == f"checklist-{case_id}"
    assert streams.eligibility_stream(case_id) == f"eligibility-{case_id}"


def test_role_names_are_english_and_old_kabid_still_reads() -> None:
    assert Role("head_of_division") is Role.HEAD_OF_DIVISION
    assert Role("kabid") is Role.HEAD_OF_DIVISION
    with pytest.raises(ValueError, match="nobody"):
        Role("nobody")


# ---- an outage is a 503 with Retry-After, never a 500 ----------------------------------


@pytest.mark.parametrize(
    "outage",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        TimeoutError(),
    ],
)
def test_a_database_outage_is_answered_503_with_retry_after(outage: Exception) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/case")
    async def case() -> None:
        try:
            raise outage
        except Exception as exc:
            raise RuntimeError("while loading the case") from exc  # wrapped: still an outage

    r = TestClient(app, raise_server_exceptions=False).get("/case")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert r.json()["error"]["code"] == "database_unavailable"


def test_a_bug_is_still_a_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/bug")
    async def bug() -> None:
        raise KeyError("x")

    r = TestClient(app, raise_server_exceptions=False).get("/bug")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
