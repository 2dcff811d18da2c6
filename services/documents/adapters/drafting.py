"""The drafting assignment repository: who drafts a case's letter (Kupang: the head of
office names the official). Its stream keeps its first id, `disposition-<case>`
(`shared.contracts.streams.disposition_stream`), and its table `documents.dispositions`;
it is not casework's disposisi of a case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from services.documents.adapters import projections
from services.documents.adapters.rows import case_from_row, on_case
from services.documents.domain.facts import CaseForAssignment, case_not_found
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import disposition_stream
from shared.eventstore.store import EventStore, stream_version
from shared.unit_of_work import Loaded


@dataclass
class PostgresDraftingAssignments:
    conn: asyncpg.Connection
    store: EventStore
    _loaded: dict[UUID, CaseForAssignment] = field(default_factory=dict)

    async def load(self, key: UUID) -> Loaded[CaseForAssignment]:
        row = await self.conn.fetchrow(
            "SELECT * FROM documents.checklists WHERE case_id = $1 FOR UPDATE", key
        )
        if row is None:
            raise case_not_found(key)
        drafted = await self.conn.fetchval(
            "SELECT count(*) FROM documents.letters WHERE case_id = $1", key
        )
        facts = CaseForAssignment(case_from_row(row), drafted=bool(drafted))
        self._loaded[key] = facts
        return Loaded(facts, await stream_version(self.conn, disposition_stream(key)))

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        case = self._loaded[key].case
        envelopes = await self.store.append(
            self.conn, disposition_stream(key), version, events, on_case(meta, case)
        )
        await projections.project_drafting_assignment(self.conn, envelopes)
        return envelopes
