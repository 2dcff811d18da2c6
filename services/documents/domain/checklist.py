"""The checklist of one case: which documents its variant requires, which staff checked.

The requirements are a snapshot of the catalogue variant taken when the case was
registered (a standard changed mid-case does not move the goalposts). What was received
is the fold of the `checklist-<case_id>` stream. Documents the citizen only *declared*
at intake count for nothing until staff check them.

Requirements that share an `alternative_group` are alternatives ("KTP/KK"): any one of
them satisfies the group. A missing group is written with its types joined by "|",
e.g. "ktp|kk".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from uuid import UUID

from services.documents.domain.errors import DomainError
from shared.catalogue import DocumentRequirement
from shared.contracts.base import Event
from shared.contracts.events import DocumentReceived, RequirementsCompleted

ReceivedForm = Literal["original", "copy"]


def stream_id(case_id: UUID) -> str:
    return f"checklist-{case_id}"


@dataclass(frozen=True)
class Requirement:
    """One required document, as the variant listed it."""

    type: str
    name: str
    form: str = "either"  # original | copy | either
    alternative_group: str | None = None

    @classmethod
    def from_catalogue(cls, doc: DocumentRequirement) -> Requirement:
        return cls(doc.type, doc.name, doc.form, doc.alternative_group)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Requirement:
        return cls(
            raw["type"], raw["name"], raw.get("form", "either"), raw.get("alternative_group")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "form": self.form,
            "alternative_group": self.alternative_group,
        }


@dataclass(frozen=True)
class Received:
    type: str
    form: ReceivedForm
    checked_by: str


@dataclass(frozen=True)
class Checklist:
    case_id: UUID
    variant: str | None
    required: tuple[Requirement, ...]
    received: Mapping[str, Received] = field(default_factory=dict)
    completed: bool = False  # RequirementsCompleted has been recorded
    version: int = 0  # version of the checklist stream

    def groups(self) -> list[tuple[Requirement, ...]]:
        """Requirements grouped by alternative group, in the order the variant lists them."""
        out: list[tuple[Requirement, ...]] = []
        index: dict[str, int] = {}
        for req in self.required:
            if req.alternative_group is None:
                out.append((req,))
            elif req.alternative_group in index:
                i = index[req.alternative_group]
                out[i] = (*out[i], req)
            else:
                index[req.alternative_group] = len(out)
                out.append((req,))
        return out

    def missing_groups(self) -> list[tuple[Requirement, ...]]:
        return [g for g in self.groups() if not any(r.type in self.received for r in g)]

    @property
    def missing(self) -> list[str]:
        """Codes of what is still missing; alternatives joined by '|'."""
        return ["|".join(r.type for r in g) for g in self.missing_groups()]

    @property
    def complete(self) -> bool:
        return self.variant is not None and not self.missing_groups()

    def requirement(self, document_type: str) -> Requirement | None:
        return next((r for r in self.required if r.type == document_type), None)


def requirements_for(docs: Iterable[DocumentRequirement]) -> tuple[Requirement, ...]:
    return tuple(Requirement.from_catalogue(d) for d in docs)


def fold(checklist: Checklist, events: Iterable[Event]) -> Checklist:
    """The checklist after the events of its stream (from its definition)."""
    received = dict(checklist.received)
    completed = checklist.completed
    version = checklist.version
    for event in events:
        version += 1
        match event:
            case DocumentReceived():
                received.setdefault(
                    event.document_type,
                    Received(event.document_type, event.form, event.checked_by),
                )
            case RequirementsCompleted():
                completed = True
    return replace(checklist, received=received, completed=completed, version=version)


def receive_document(
    checklist: Checklist, *, document_type: str, form: ReceivedForm, checked_by: str
) -> list[Event]:
    """Staff checked one document. Empty list: it had been recorded already (idempotent)."""
    if checklist.variant is None:
        raise DomainError(
            "variant_not_set",
            "The case has no variant yet, so its required documents are not known.",
        )
    req = checklist.requirement(document_type)
    if req is None:
        raise DomainError(
            "unknown_document_type",
            f"Document type {document_type!r} is not required for variant {checklist.variant!r}.",
            details={"allowed": [r.type for r in checklist.required]},
        )
    if document_type in checklist.received:
        return []
    if req.form == "original" and form != "original":
        raise DomainError(
            "original_required",
            f"{req.name}: the standard asks for the original, not a copy.",
            details={"document_type": document_type, "required_form": "original"},
        )
    events: list[Event] = [
        DocumentReceived(
            case_id=checklist.case_id, document_type=document_type, form=form, checked_by=checked_by
        )
    ]
    after = fold(checklist, events)
    if after.complete and not checklist.completed:
        events.append(
            RequirementsCompleted(
                case_id=checklist.case_id,
                variant=checklist.variant,
                documents=tuple(sorted(after.received)),
            )
        )
    return events
