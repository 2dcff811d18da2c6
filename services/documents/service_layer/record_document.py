"""Record a document staff checked at the desk (with its scan, if one came).

Idempotent: a document already met, without a new scan, records nothing (`False`). When
the last requirement is met, `RequirementsCompleted` is appended with it. A scan's bytes
are kept in the transaction that appends the event naming them: a refusal or a failure
leaves neither behind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.documents.adapters.unit_of_work import Checklists, DocumentsUnitOfWork
from services.documents.domain import checklist as model
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.facts import ChecklistOnFile
from services.documents.domain.files import CheckedFile
from services.documents.service_layer.common import NewUnitOfWork, command_meta, run
from shared.auth import StaffIdentity, authorize
from shared.contracts import case_roles
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.logging import get_logger
from shared.unit_of_work import Loaded, Repository

log = get_logger(__name__)

RECEIVE_ROLES = case_roles.DOCUMENT_RECEIVERS  # the web app offers by it too
AfterAppend = Callable[[list[EventEnvelope]], Awaitable[None]]
OnAppended = Callable[[DocumentsUnitOfWork, list[EventEnvelope]], Awaitable[None]]


class WithScan:
    """The checklist repository that also keeps the scan, just before the event naming
    it is appended (and only if one is)."""

    def __init__(
        self,
        checklists: Checklists,
        scan: model.ScannedFile,
        file: CheckedFile,
        cmd: ReceiveDocument,
        by: str,
        after: AfterAppend | None = None,
    ) -> None:
        self.after = after
        self.checklists = checklists
        self.scan = scan
        self.file = file
        self.cmd = cmd
        self.by = by

    async def load(self, key: UUID) -> Loaded[ChecklistOnFile]:
        return await self.checklists.load(key)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        await self.checklists.keep_file(
            file_id=self.scan.file_id,
            case_id=self.cmd.case_id,
            document_type=self.cmd.document_type,
            form=self.cmd.form,
            file=self.file,
            uploaded_by=self.by,
        )
        envelopes = await self.checklists.append(key, version, events, meta)
        if self.after is not None:
            await self.after(envelopes)
        return envelopes


async def record_document(
    new_uow: NewUnitOfWork,
    cmd: ReceiveDocument,
    staff: StaffIdentity,
    correlation_id: UUID,
    *,
    file: CheckedFile | None = None,
    attachment_id: UUID | None = None,
    on_appended: OnAppended | None = None,
) -> bool:
    """Record one checked document, and its scan if one came; False when nothing was new.

    `attachment_id`: the scan is the citizen's attachment staff accepted (the event names
    it); `on_appended` projects more in the same transaction (the attachment's row)."""
    now = datetime.now(UTC)
    scan = (
        model.ScannedFile(uuid4(), file.sha256, file.content_type, file.size)
        if file is not None
        else None
    )

    def decide(on_file: ChecklistOnFile) -> list[Event]:
        authorize(staff, roles=RECEIVE_ROLES, office=on_file.case.office)
        return model.receive_document(
            on_file.checklist,
            document_type=cmd.document_type,
            form=cmd.form,
            checked_by=staff.actor,
            file=scan,
            now=now,
            attachment_id=attachment_id,
        )

    def repository(uow: DocumentsUnitOfWork) -> Repository[UUID, ChecklistOnFile]:
        checklists = uow.checklists.at(now)
        if file is None or scan is None:
            return checklists
        after: AfterAppend | None = None
        if on_appended is not None:
            hook = on_appended

            async def project_more(envelopes: list[EventEnvelope]) -> None:
                await hook(uow, envelopes)

            after = project_more

        return WithScan(checklists, scan, file, cmd, staff.actor, after)

    appended = await run(
        new_uow, repository, cmd.case_id, decide, command_meta(staff, correlation_id)
    )
    if appended:
        log.info(
            "document_received",
            document_type=cmd.document_type,
            with_file=file is not None,
            requirements_completed=len(appended) > 1,
        )
    return bool(appended)
