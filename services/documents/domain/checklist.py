"""The checklist of one case: which documents its variant requires, which staff checked.

The requirements are a snapshot of the catalogue variant taken when the case was
registered (a standard changed mid-case does not move the goalposts). What was received
is the fold of the `checklist-<case_id>` stream. Documents the citizen only *declared*
at intake count for nothing until staff check them.

A received document is keyed by its type *and* form: Kupang asks to be shown the
original identity card and, separately, for a copy of it. A requirement is met by its
type in the form it names (`either` takes both).

Requirements that share an `alternative_group` are alternatives ("KTP/KK"): any one of
them satisfies the group. A missing group is written with its types joined by "|",
e.g. "ktp|kk".

Some requirements are met by the request itself (`given`, snapshot at registration with
the requirements): Kupang's "fotokopi KTP ... dan/atau nomor HP" is met by the phone
number the registration carries (`ComplaintRegistered.applicant.phone`). Only the type is
kept, never the number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from shared.catalogue import DocumentRequirement
from shared.contracts.base import Event
from shared.contracts.documents_events import (
    CompletionPromise,
    DocumentsMissingNoted,
    MissingDocument,
)
from shared.contracts.events import Applicant, DocumentReceived, RequirementsCompleted
from shared.labels import FORM_LABELS
from shared.refusal import Refused

ReceivedForm = Literal["original", "copy"]
# The requirement a phone number given with the request meets.
PHONE_NUMBER = "phone_number"
# How many digits a phone number has: 8 (a short fixed line written with its area code)
# to 15 (the longest E.164 number). "0812" or "-" in a phone field is no number.
_PHONE_DIGITS = range(8, 16)


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

    def accepts(self, form: str) -> bool:
        return self.form == "either" or self.form == form


@dataclass(frozen=True)
class ScannedFile:
    """A scan kept with a received document: its id in the file store and checksum."""

    file_id: UUID
    sha256: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Received:
    type: str
    form: ReceivedForm
    checked_by: str
    file: ScannedFile | None = None


ReceivedKey = tuple[str, str]  # (type, form)


@dataclass(frozen=True)
class Checklist:
    case_id: UUID
    variant: str | None
    required: tuple[Requirement, ...]
    received: Mapping[ReceivedKey, Received] = field(default_factory=dict)
    completed: bool = False  # RequirementsCompleted has been recorded
    version: int = 0  # version of the checklist stream
    requested_at: datetime | None = None  # when the request reached the office
    promise: CompletionPromise | None = None  # completion time from the standard
    last_missing_noted: tuple[str, ...] | None = None  # the last DocumentsMissingNoted
    # Requirement types the request itself met (snapshot at registration): `phone_number`
    # when the registration carries the applicant's phone.
    given: tuple[str, ...] = ()

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

    def satisfied(self, req: Requirement) -> bool:
        return self.given_with_request(req) or any(
            (req.type, form) in self.received for form in ("original", "copy") if req.accepts(form)
        )

    def given_with_request(self, req: Requirement) -> bool:
        """Met by the request itself (a phone number it carried), whatever staff record."""
        return req.type in self.given

    def missing_groups(self) -> list[tuple[Requirement, ...]]:
        return [g for g in self.groups() if not any(self.satisfied(r) for r in g)]

    @property
    def missing(self) -> list[str]:
        """Codes of what is still missing; alternatives joined by '|'."""
        return ["|".join(r.type for r in g) for g in self.missing_groups()]

    def missing_documents(self) -> tuple[MissingDocument, ...]:
        return tuple(
            MissingDocument(
                types=tuple(r.type for r in g),
                names=tuple(r.name for r in g),
                form=g[0].form if len({r.form for r in g}) == 1 else "either",
            )
            for g in self.missing_groups()
        )

    @property
    def complete(self) -> bool:
        return self.variant is not None and not self.missing_groups()

    def requirement(self, document_type: str) -> Requirement | None:
        return next((r for r in self.required if r.type == document_type), None)

    @property
    def received_types(self) -> tuple[str, ...]:
        return tuple(sorted({t for t, _ in self.received}))


def requirements_for(docs: Iterable[DocumentRequirement]) -> tuple[Requirement, ...]:
    return tuple(Requirement.from_catalogue(d) for d in docs)


def _is_phone(value: str | None) -> bool:
    """A phone number, as far as documents needs to know: 8 to 15 digits (intake keeps
    the number as the channel or staff gave it; e-mail and WhatsApp give it in E.164)."""
    return value is not None and sum(c.isdigit() for c in value) in _PHONE_DIGITS


def given_by_request(applicant: Applicant, required: Iterable[Requirement]) -> tuple[str, ...]:
    """The requirement types the request itself meets: `phone_number`, when the checklist
    asks for one and the registration carries the applicant's phone (a WhatsApp sender,
    a number found in an e-mail, a form's or staff's `applicant.phone`). An anonymous
    report carries none. Only the type, never the number."""
    types = {r.type for r in required}
    return (PHONE_NUMBER,) if PHONE_NUMBER in types and _is_phone(applicant.phone) else ()


def _scan(event: DocumentReceived) -> ScannedFile | None:
    if event.file_id is None or event.file_sha256 is None:
        return None
    return ScannedFile(
        event.file_id, event.file_sha256, event.file_content_type or "", event.file_size or 0
    )


def fold(checklist: Checklist, events: Iterable[Event]) -> Checklist:
    """The checklist after the events of its stream (from its definition)."""
    received = dict(checklist.received)
    completed = checklist.completed
    version = checklist.version
    noted = checklist.last_missing_noted
    for event in events:
        version += 1
        match event:
            case DocumentReceived():
                key = (event.document_type, event.form)
                scan = _scan(event)
                if key not in received or scan is not None:  # a later scan replaces the earlier
                    received[key] = Received(
                        event.document_type, event.form, event.checked_by, scan
                    )
            case RequirementsCompleted():
                completed = True
            case DocumentsMissingNoted():
                noted = tuple("|".join(m.types) for m in event.missing)
    return replace(
        checklist,
        received=received,
        completed=completed,
        version=version,
        last_missing_noted=noted,
    )


def check_document(checklist: Checklist, *, document_type: str, form: str) -> Requirement:
    """Refuse what this checklist cannot take (before any file is stored)."""
    if checklist.variant is None:
        raise Refused.conflict(
            "variant_not_set",
            "The case has no variant yet, so its required documents are not known.",
        )
    candidates = [r for r in checklist.required if r.type == document_type]
    if not candidates:
        raise Refused.invalid(
            "unknown_document_type",
            f"Document type {document_type!r} is not required for variant {checklist.variant!r}.",
            details={"allowed": list(dict.fromkeys(r.type for r in checklist.required))},
        )
    fitting = [r for r in candidates if r.accepts(form)]
    if not fitting:
        wanted = candidates[0].form
        raise Refused.invalid(
            "original_required" if wanted == "original" else "copy_required",
            f"{candidates[0].name}: the standard asks for the "
            f"{'original' if wanted == 'original' else 'copy'}, not the {form}.",
            details={"document_type": document_type, "required_form": wanted},
        )
    return fitting[0]


def receive_document(
    checklist: Checklist,
    *,
    document_type: str,
    form: ReceivedForm,
    checked_by: str,
    file: ScannedFile | None = None,
    now: datetime | None = None,
    attachment_id: UUID | None = None,
) -> list[Event]:
    """Staff checked one document. Empty list: it had been recorded already (idempotent).

    A document already met is recorded again only to attach a new scan to it.
    `attachment_id`: the citizen's attachment staff accepted as this document.

    `RequirementsCompleted` marks the moment a document completes the list. A checklist
    that was complete when it opened (the request itself met it: a phone number given
    with a complaint) never has that moment: a document recorded on it afterwards
    completes nothing, as the second of two alternatives completes nothing twice.
    """
    check_document(checklist, document_type=document_type, form=form)
    fitting = [r for r in checklist.required if r.type == document_type and r.accepts(form)]
    known = checklist.received.get((document_type, form))
    if all(checklist.satisfied(r) for r in fitting):
        if file is None:
            return []
        if known is not None and known.file is not None and known.file.sha256 == file.sha256:
            return []
        # else: the same document again, now with its scan attached
    events: list[Event] = [
        DocumentReceived(
            case_id=checklist.case_id,
            document_type=document_type,
            form=form,
            checked_by=checked_by,
            file_id=file.file_id if file else None,
            file_sha256=file.sha256 if file else None,
            file_content_type=file.content_type if file else None,
            file_size=file.size if file else None,
            attachment_id=attachment_id,
        )
    ]
    after = fold(checklist, events)
    if after.complete and not checklist.complete and not checklist.completed:
        assert checklist.variant is not None
        events.append(
            RequirementsCompleted(
                case_id=checklist.case_id,
                variant=checklist.variant,
                documents=after.received_types,
                requested_at=checklist.requested_at,
                completed_at=now,
                promise=checklist.promise,
            )
        )
    return events


def note_missing(checklist: Checklist, *, noted_by: str) -> list[Event]:
    """The completeness decision: what is missing, for the citizen to bring.

    Nothing when the list is complete, or when the same list was noted last time (a retry,
    or nothing has changed since the citizen was told).
    """
    if checklist.variant is None:
        raise Refused.conflict(
            "variant_not_set",
            "The case has no variant yet, so its required documents are not known.",
        )
    if checklist.complete:
        return []
    if checklist.last_missing_noted == tuple(checklist.missing):
        return []
    return [
        DocumentsMissingNoted(
            case_id=checklist.case_id,
            variant=checklist.variant,
            missing=checklist.missing_documents(),
            noted_by=noted_by,
            requested_at=checklist.requested_at,
        )
    ]


def missing_message(missing: Iterable[MissingDocument]) -> str:
    """Indonesian, for staff to read out and for the refusal: what the citizen must bring."""
    parts = []
    for m in missing:
        names = " atau ".join(m.names)
        parts.append(f"{names} ({FORM_LABELS.get(m.form, m.form)})")
    return "Dokumen yang belum lengkap: " + "; ".join(parts) + "."
