"""Rows of the documents tables read back as domain values (one reading, used by every
repository and by the rebuild)."""

from __future__ import annotations

from typing import Any

from services.documents.domain.checklist import Checklist, Requirement
from services.documents.domain.facts import CaseOnFile
from shared.contracts.base import EventMetadata
from shared.contracts.documents_events import CompletionPromise
from shared.contracts.vocab import Channel


def case_from_row(row: Any) -> CaseOnFile:
    """A `documents.checklists` row (or a join carrying its columns) as the case on file."""
    return CaseOnFile(
        case_id=row["case_id"],
        office=row["office"],
        service=row["service"],
        variant=row["variant"],
        channel=Channel(row["channel"]) if row["channel"] else None,
    )


def checklist_definition(row: Any) -> Checklist:
    """The checklist as it was opened (requirements, promise, what the request itself
    gave), before any event of its stream is folded onto it."""
    return Checklist(
        case_id=row["case_id"],
        variant=row["variant"],
        required=tuple(Requirement.from_dict(r) for r in row["required"]),
        requested_at=row["registered_at"],
        promise=CompletionPromise.model_validate(row["promise"]) if row["promise"] else None,
        given=tuple(row["given"]),
    )


def on_case(meta: EventMetadata, case: CaseOnFile) -> EventMetadata:
    """The command's metadata (who, which flow) placed on the case it acts on: the
    repository knows which case and office the stream it appends to belongs to."""
    return meta.model_copy(
        update={"case_id": case.case_id, "office": case.office, "channel": case.channel}
    )
