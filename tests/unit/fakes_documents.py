"""An in-memory documents unit of work: the repositories of `adapters/unit_of_work.py`
on an `InMemoryEventLog` and a few dictionaries, for use-case tests without PostgreSQL.

State is derived from the log the way the real repositories fold it; what the real ones
keep in tables (the opened checklists, DTKS answers, scans, number counters) lives in
`FakeDocuments`. Staged changes are applied on commit and forgotten on rollback.
`interfere` runs once right after the next load: a concurrent writer, for retry tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from services.documents.adapters.unit_of_work import DocumentsUnitOfWork
from services.documents.domain import checklist as checklist_model
from services.documents.domain import letter as letter_model
from services.documents.domain.checklist import Checklist
from services.documents.domain.facts import (
    CaseForDrafting,
    CaseOnFile,
    ChecklistOnFile,
    ChecklistOpened,
    DrafterNamed,
    DtksOutcome,
    DtksResult,
    LetterOnFile,
    NewLetter,
    SignedLetter,
    case_not_found,
    letter_not_found,
)
from services.documents.domain.files import CheckedFile
from services.documents.domain.identity import registry_identity
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import ComplaintRegistered, LetterSigned
from shared.contracts.streams import checklist_stream, letter_stream
from shared.contracts.vocab import Channel
from shared.unit_of_work import InMemoryEventLog, InMemoryUnitOfWork, Loaded


@dataclass
class FakeDocuments:
    """The service's "database": the event log and what the tables would hold."""

    events: InMemoryEventLog = field(default_factory=lambda: InMemoryEventLog("documents"))
    cases: dict[UUID, CaseOnFile] = field(default_factory=dict)
    opened: dict[UUID, Checklist] = field(default_factory=dict)
    dtks: dict[UUID, DtksOutcome] = field(default_factory=dict)
    drafters: dict[UUID, DrafterNamed] = field(default_factory=dict)
    files: dict[UUID, CheckedFile] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    downloads: dict[str, UUID] = field(default_factory=dict)  # code sha256 -> letter id
    interfere: Callable[[], Any] | None = None
    loads: int = 0

    def unit_of_work(self) -> FakeDocumentsUnitOfWork:
        return FakeDocumentsUnitOfWork(self)

    async def after_load(self) -> None:
        self.loads += 1
        if self.interfere is not None:
            interfere, self.interfere = self.interfere, None
            await interfere()

    def letters_of(self, case_id: UUID) -> list[letter_model.Letter]:
        streams = {e.stream_id for e in self.events.committed if e.stream_id.startswith("letter-")}
        out = []
        for stream in sorted(streams):
            letter = letter_model.fold(
                e.payload() for e in self.events.committed if e.stream_id == stream
            )
            if letter is not None and letter.case_id == case_id:
                out.append(letter)
        return out


def _placed(meta: EventMetadata, case: CaseOnFile) -> EventMetadata:
    return meta.model_copy(
        update={"case_id": case.case_id, "office": case.office, "channel": case.channel}
    )


class FakeChecklists:
    def __init__(self, uow: FakeDocumentsUnitOfWork) -> None:
        self.uow = uow
        self.db = uow.db

    def at(self, moment: datetime) -> Self:
        return self

    async def peek(self, case_id: UUID) -> ChecklistOnFile:
        if case_id not in self.db.cases:
            raise case_not_found(case_id)
        stream = await self.uow.events.read_stream(checklist_stream(case_id))
        checklist = checklist_model.fold(self.db.opened[case_id], (e.payload() for e in stream))
        return ChecklistOnFile(self.db.cases[case_id], checklist)

    async def load(self, key: UUID) -> Loaded[ChecklistOnFile]:
        on_file = await self.peek(key)
        await self.db.after_load()
        return Loaded(on_file, on_file.checklist.version)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        case = self.db.cases[key]
        return await self.uow.events.append(
            checklist_stream(key), version, events, _placed(meta, case)
        )

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
        self.uow.staged_files[file_id] = file


class FakeLetters:
    def __init__(self, uow: FakeDocumentsUnitOfWork) -> None:
        self.uow = uow
        self.db = uow.db

    def at(self, moment: datetime) -> Self:
        return self

    async def _on_file(self, letter_id: UUID) -> LetterOnFile:
        stream = await self.uow.events.read_stream(letter_stream(letter_id))
        letter = letter_model.fold(e.payload() for e in stream)
        if letter is None:
            raise letter_not_found(letter_id)
        return LetterOnFile(self.db.cases[letter.case_id], letter)

    async def load(self, key: UUID) -> Loaded[LetterOnFile]:
        on_file = await self._on_file(key)
        await self.db.after_load()
        return Loaded(on_file, on_file.letter.version)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        on_file = await self._on_file(key)
        return await self.uow.events.append(
            letter_stream(key), version, events, _placed(meta, on_file.case)
        )

    async def next_sequence(self, office: str, year: int) -> int:
        key = (office, year)
        value = self.uow.staged_counters.get(key, self.db.counters.get(key, 0)) + 1
        self.uow.staged_counters[key] = value
        return value

    async def signed(self, letter_id: UUID) -> SignedLetter | None:
        stream = [
            e.payload() for e in self.db.events.committed if e.stream_id == letter_stream(letter_id)
        ]
        signed = next((e for e in stream if isinstance(e, LetterSigned)), None)
        if signed is None or signed.content is None:
            return None
        return SignedLetter(letter_id, signed.letter_number, signed.content_sha256, signed.content)


class FakeNewLetters:
    def __init__(self, uow: FakeDocumentsUnitOfWork) -> None:
        self.uow = uow
        self.db = uow.db

    async def load(self, key: NewLetter) -> Loaded[CaseForDrafting]:
        on_file = await FakeChecklists(self.uow).peek(key.case_id)
        case_events = await self.uow.events.read_case(key.case_id)
        registration = next(
            (e.payload() for e in case_events if e.event_type == ComplaintRegistered.event_type),
            None,
        )
        if not isinstance(registration, ComplaintRegistered):
            raise case_not_found(key.case_id)
        dtks = self.db.dtks.get(key.case_id)
        named = self.db.drafters.get(key.case_id)
        facts = CaseForDrafting(
            case=on_file.case,
            checklist=on_file.checklist,
            registration=registration,
            dtks=DtksResult(
                dtks.status,
                dtks.programmes,
                dtks.source,
                registry_identity(case_events, dtks.global_position),
            )
            if dtks
            else None,
            existing=tuple(
                (x.letter_id, x.product, x.status) for x in self.db.letters_of(key.case_id)
            ),
            disposed=letter_model.Disposed(named.staff_id, named.role) if named else None,
        )
        await self.db.after_load()
        return Loaded(facts, 0)

    async def append(
        self, key: NewLetter, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        case = self.db.cases[key.case_id]
        return await self.uow.events.append(
            letter_stream(key.letter_id), version, events, _placed(meta, case)
        )


class FakeInbound:
    def __init__(self, uow: FakeDocumentsUnitOfWork) -> None:
        self.db = uow.db

    async def open_checklist(self, opened: ChecklistOpened) -> None:
        if opened.case_id in self.db.cases:
            return
        self.db.cases[opened.case_id] = CaseOnFile(
            opened.case_id,
            opened.office,
            opened.service,
            opened.variant,
            Channel(opened.channel) if opened.channel else None,
        )
        self.db.opened[opened.case_id] = opened.checklist()

    async def record_dtks(self, outcome: DtksOutcome) -> None:
        known = self.db.dtks.get(outcome.case_id)
        if known is None or (known.global_position or 0) < (outcome.global_position or 0):
            self.db.dtks[outcome.case_id] = outcome

    async def record_drafter(self, named: DrafterNamed) -> None:
        known = self.db.drafters.get(named.case_id)
        if known is None or (known.global_position or 0) < (named.global_position or 0):
            self.db.drafters[named.case_id] = named


class FakeLetterDownloads:
    def __init__(self, uow: FakeDocumentsUnitOfWork) -> None:
        self.uow = uow
        self.db = uow.db

    async def case_of(self, letter_id: UUID) -> UUID | None:
        stream = await self.uow.events.read_stream(letter_stream(letter_id))
        letter = letter_model.fold(e.payload() for e in stream)
        return letter.case_id if letter is not None else None

    async def record(
        self, *, code_sha256: str, letter: SignedLetter, case_id: UUID, expires_at: datetime
    ) -> bool:
        if code_sha256 in self.db.downloads or code_sha256 in self.uow.staged_downloads:
            return False
        self.uow.staged_downloads[code_sha256] = letter.letter_id
        return True


class FakeDocumentsUnitOfWork(InMemoryUnitOfWork, DocumentsUnitOfWork):
    def __init__(self, db: FakeDocuments) -> None:
        super().__init__(db.events)
        self.db = db
        self.staged_files: dict[UUID, CheckedFile] = {}
        self.staged_counters: dict[tuple[str, int], int] = {}
        self.staged_downloads: dict[str, UUID] = {}
        self.checklists = FakeChecklists(self)
        self.letters = FakeLetters(self)
        self.new_letters = FakeNewLetters(self)
        self.inbound = FakeInbound(self)
        self.downloads = FakeLetterDownloads(self)

    async def commit(self) -> None:
        await super().commit()
        self.db.files.update(self.staged_files)
        self.db.counters.update(self.staged_counters)
        self.db.downloads.update(self.staged_downloads)

    async def rollback(self) -> None:
        await super().rollback()
        self.staged_files.clear()
        self.staged_counters.clear()
        self.staged_downloads.clear()
