"""The documents unit of work: one transaction and the repositories that act in it.

`DocumentsUnitOfWork` is the port the use cases are written against (its repositories
are the protocols below); `PostgresDocumentsUnitOfWork` is the real one (a pooled
transaction, or `joined` to a consumer's), and `tests/unit/fakes_documents.py` holds the
in-memory one the unit tests use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Self
from uuid import UUID

import asyncpg

from services.documents.adapters import projections
from services.documents.adapters.checklists import PostgresChecklists
from services.documents.adapters.downloads import PostgresLetterDownloads
from services.documents.adapters.letters import PostgresLetters, PostgresNewLetters
from services.documents.domain.facts import (
    CaseForDrafting,
    ChecklistOnFile,
    ChecklistOpened,
    DrafterNamed,
    DtksOutcome,
    LetterOnFile,
    NewLetter,
    SignedLetter,
)
from services.documents.domain.files import CheckedFile
from shared.eventstore.store import EventStore
from shared.unit_of_work import PostgresUnitOfWork, Repository, UnitOfWork

# ---- the ports -------------------------------------------------------------------------


class Checklists(Repository[UUID, ChecklistOnFile], Protocol):
    """A case's checklist (locked on load), keyed by case id."""

    def at(self, moment: datetime) -> Self:
        """The same repository, appending events that happened at `moment`."""
        ...

    async def peek(self, case_id: UUID) -> ChecklistOnFile: ...

    async def keep_file(
        self,
        *,
        file_id: UUID,
        case_id: UUID,
        document_type: str,
        form: str,
        file: CheckedFile,
        uploaded_by: str,
    ) -> None: ...


class Letters(Repository[UUID, LetterOnFile], Protocol):
    """An existing letter, keyed by letter id."""

    def at(self, moment: datetime) -> Self: ...

    async def next_sequence(self, office: str, year: int) -> int: ...

    async def signed(self, letter_id: UUID) -> SignedLetter | None: ...


class NewLetters(Repository[NewLetter, CaseForDrafting], Protocol):
    """A draft: the case it is for (locked) and the new letter's id."""


class InboundFacts(Protocol):
    """What the service takes in from intake, eligibility and casework (projections, no
    stream)."""

    async def open_checklist(self, opened: ChecklistOpened) -> None: ...

    async def record_dtks(self, outcome: DtksOutcome) -> None: ...

    async def record_drafter(self, named: DrafterNamed) -> None: ...


class LetterDownloads(Protocol):
    """The one-time downloads of signed letters (only each code's SHA-256 is kept)."""

    async def case_of(self, letter_id: UUID) -> UUID | None: ...

    async def record(
        self, *, code_sha256: str, letter: SignedLetter, case_id: UUID, expires_at: datetime
    ) -> bool:
        """Keep the served code's hash; False when it was served before."""
        ...


class DocumentsUnitOfWork(UnitOfWork):
    checklists: Checklists
    letters: Letters
    new_letters: NewLetters
    inbound: InboundFacts
    downloads: LetterDownloads


# ---- PostgreSQL ------------------------------------------------------------------------


class PostgresInbound:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def open_checklist(self, opened: ChecklistOpened) -> None:
        await projections.insert_checklist(self.conn, opened)

    async def record_dtks(self, outcome: DtksOutcome) -> None:
        await projections.record_dtks(self.conn, outcome)

    async def record_drafter(self, named: DrafterNamed) -> None:
        await projections.record_drafter(self.conn, named)


class PostgresDocumentsUnitOfWork(PostgresUnitOfWork, DocumentsUnitOfWork):
    def _on_connection(self) -> None:
        super()._on_connection()
        self.checklists = PostgresChecklists(self.conn, self.store)
        self.letters = PostgresLetters(self.conn, self.store)
        self.new_letters = PostgresNewLetters(self.conn, self.store)
        self.inbound = PostgresInbound(self.conn)
        self.downloads = PostgresLetterDownloads(self.conn)


def postgres_unit_of_work(pool: asyncpg.Pool, store: EventStore) -> PostgresDocumentsUnitOfWork:
    return PostgresDocumentsUnitOfWork(pool, store)
