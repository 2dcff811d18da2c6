"""The checklist repository: lock a case's checklist, fold its `checklist-<case>` stream,
append to it and project, in the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self
from uuid import UUID

import asyncpg

from services.documents.adapters import projections
from services.documents.adapters.rows import case_from_row, checklist_definition, on_case
from services.documents.domain import checklist as model
from services.documents.domain.facts import ChecklistOnFile, case_not_found
from services.documents.domain.files import CheckedFile
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import checklist_stream
from shared.eventstore.store import EventStore, read_stream
from shared.unit_of_work import Loaded


@dataclass
class PostgresChecklists:
    conn: asyncpg.Connection
    store: EventStore
    occurred_at: datetime | None = None  # when the command happened (else the database's now)
    _loaded: dict[UUID, ChecklistOnFile] = field(default_factory=dict)

    def at(self, moment: datetime) -> Self:
        return type(self)(self.conn, self.store, moment)

    async def _read(self, case_id: UUID, *, lock: bool) -> ChecklistOnFile:
        row = await self.conn.fetchrow(
            "SELECT * FROM documents.checklists WHERE case_id = $1"
            + (" FOR UPDATE" if lock else ""),  # commands on one case go one at a time
            case_id,
        )
        if row is None:
            raise case_not_found(case_id)
        stream = await read_stream(self.conn, checklist_stream(case_id))
        checklist = model.fold(checklist_definition(row), (e.payload() for e in stream))
        on_file = ChecklistOnFile(case_from_row(row), checklist)
        self._loaded[case_id] = on_file
        return on_file

    async def load(self, key: UUID) -> Loaded[ChecklistOnFile]:
        on_file = await self._read(key, lock=True)
        return Loaded(on_file, on_file.checklist.version)

    async def peek(self, case_id: UUID) -> ChecklistOnFile:
        """The checklist without a lock (a check before an upload is read)."""
        return await self._read(case_id, lock=False)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        on_file = self._loaded[key]
        envelopes = await self.store.append(
            self.conn,
            checklist_stream(key),
            version,
            events,
            on_case(meta, on_file.case),
            occurred_at=self.occurred_at,
        )
        await projections.project_checklist(self.conn, on_file.checklist, envelopes)
        return envelopes

    async def keep_file(
        self,
        *,
        file_id: UUID,
        case_id: UUID,
        document_type: str,
        form: str,
        file: CheckedFile,
        uploaded_by: str,
    ) -> None:
        """The scan's bytes, in the transaction of the event that names them."""
        await projections.insert_file(
            self.conn,
            file_id=file_id,
            case_id=case_id,
            document_type=document_type,
            form=form,
            file=file,
            uploaded_by=uploaded_by,
        )
