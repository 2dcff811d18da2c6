"""The letter repositories: a letter's `letter-<id>` stream folded and appended to (with
its projection), the case facts a new draft is decided on, the office's number counter,
and the signed letter the public verification compares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self
from uuid import UUID

import asyncpg

from services.documents.adapters import projections
from services.documents.adapters.rows import case_from_row, checklist_definition, on_case
from services.documents.domain import checklist as checklist_model
from services.documents.domain import letter as model
from services.documents.domain.facts import (
    CaseForDrafting,
    DtksResult,
    LetterOnFile,
    NewLetter,
    SignedLetter,
    case_not_found,
    letter_not_found,
)
from services.documents.domain.identity import registry_identity
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import ComplaintRegistered
from shared.contracts.streams import checklist_stream, letter_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore, read_case, read_stream
from shared.unit_of_work import Loaded


@dataclass
class PostgresLetters:
    """An existing letter. Not locked: two officials on one step both load it, and the
    second append finds the stream moved (optimistic concurrency)."""

    conn: asyncpg.Connection
    store: EventStore
    occurred_at: datetime | None = None
    _loaded: dict[UUID, LetterOnFile] = field(default_factory=dict)

    def at(self, moment: datetime) -> Self:
        return type(self)(self.conn, self.store, moment)

    async def load(self, key: UUID) -> Loaded[LetterOnFile]:
        row = await self.conn.fetchrow(
            """SELECT l.case_id, l.office, l.service, l.variant, c.channel
               FROM documents.letters l LEFT JOIN documents.checklists c USING (case_id)
               WHERE l.letter_id = $1""",
            key,
        )
        if row is None:
            raise letter_not_found(key)
        stream = await read_stream(self.conn, letter_stream(key))
        letter = model.fold(e.payload() for e in stream)
        if letter is None:
            raise letter_not_found(key)
        on_file = LetterOnFile(case_from_row(row), letter)
        self._loaded[key] = on_file
        return Loaded(on_file, letter.version)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        on_file = self._loaded[key]
        envelopes = await self.store.append(
            self.conn,
            letter_stream(key),
            version,
            events,
            on_case(meta, on_file.case),
            occurred_at=self.occurred_at,
        )
        await projections.project_letter(self.conn, on_file.letter, envelopes, case=on_file.case)
        return envelopes

    async def next_sequence(self, office: str, year: int) -> int:
        """The office's next number this year. Inside the signing transaction: the row lock
        serialises signers, and a signature that rolls back gives its number back."""
        value = await self.conn.fetchval(
            """INSERT INTO documents.letter_counters (office, year, last_number)
               VALUES ($1, $2, 1)
               ON CONFLICT (office, year)
               DO UPDATE SET last_number = documents.letter_counters.last_number + 1
               RETURNING last_number""",
            office,
            year,
        )
        return int(value)

    async def signed(self, letter_id: UUID) -> SignedLetter | None:
        """The signed letter's number, hash and content; None unless signed."""
        row = await self.conn.fetchrow(
            """SELECT letter_number, content_sha256, content, status
               FROM documents.letters WHERE letter_id = $1""",
            letter_id,
        )
        if row is None or row["status"] != "signed" or not row["content_sha256"]:
            return None
        return SignedLetter(letter_id, row["letter_number"], row["content_sha256"], row["content"])


@dataclass
class PostgresNewLetters:
    """A draft: the case's checklist row locked (one draft per case at a time), and what
    the draft is decided and composed on; the new letter's stream starts at version 0."""

    conn: asyncpg.Connection
    store: EventStore
    _loaded: dict[NewLetter, CaseForDrafting] = field(default_factory=dict)

    async def load(self, key: NewLetter) -> Loaded[CaseForDrafting]:
        case_id = key.case_id
        row = await self.conn.fetchrow(
            "SELECT * FROM documents.checklists WHERE case_id = $1 FOR UPDATE", case_id
        )
        if row is None:
            raise case_not_found(case_id)
        stream = await read_stream(self.conn, checklist_stream(case_id))
        checklist = checklist_model.fold(checklist_definition(row), (e.payload() for e in stream))
        dtks = await self.conn.fetchrow(
            """SELECT status, programmes, source, global_position
               FROM documents.eligibility WHERE case_id = $1""",
            case_id,
        )
        existing = tuple(
            (r["letter_id"], r["product"], r["status"])
            for r in await self.conn.fetch(
                "SELECT letter_id, product, status FROM documents.letters WHERE case_id = $1",
                case_id,
            )
        )
        disposed = await self.conn.fetchrow(
            "SELECT assignee, role FROM documents.dispositions WHERE case_id = $1", case_id
        )
        # Names and NIKs are read from the log when needed, never copied into our tables.
        case_events = await read_case(self.conn, case_id)
        facts = CaseForDrafting(
            case=case_from_row(row),
            checklist=checklist,
            registration=self._registration(case_id, case_events),
            dtks=DtksResult(
                dtks["status"],
                tuple(dtks["programmes"]),
                dtks["source"],
                registry_identity(case_events, dtks["global_position"]),
            )
            if dtks
            else None,
            existing=existing,
            disposed=model.Disposed(disposed["assignee"], Role(disposed["role"]))
            if disposed and disposed["role"]
            else None,
        )
        self._loaded[key] = facts
        return Loaded(facts, 0)

    @staticmethod
    def _registration(case_id: UUID, case_events: Sequence[EventEnvelope]) -> ComplaintRegistered:
        for envelope in case_events:
            event = envelope.payload()
            if isinstance(event, ComplaintRegistered):
                return event
        raise case_not_found(case_id)

    async def append(
        self, key: NewLetter, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        case = self._loaded[key].case
        envelopes = await self.store.append(
            self.conn, letter_stream(key.letter_id), version, events, on_case(meta, case)
        )
        await projections.project_letter(self.conn, None, envelopes, case=case)
        return envelopes
