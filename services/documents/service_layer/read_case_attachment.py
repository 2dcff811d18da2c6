"""Use case: staff look at a file the citizen sent, listed on the case.

Staff of the case's office (the roles that read case files). Once accepted, the file is
served from documents' own store (`documents.files`); before that, from intake's API with
the staff member's own token (intake checks and records the read too). The bytes must
have the SHA-256 announced on the case, or nothing is served. Every read is recorded
(`documents.attachment_reads`) and logged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from services.documents.adapters import attachments as rows
from services.documents.adapters.attachments import CaseAttachment
from services.documents.adapters.intake_files import IntakeFiles
from shared.auth import StaffIdentity, authorize
from shared.contracts.vocab import NO_CASE_ROLES, Role
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)
READ_ROLES = tuple(r for r in Role if r is not Role.ANALYST and r not in NO_CASE_ROLES)


@dataclass(frozen=True)
class AttachmentBytes:
    attachment: CaseAttachment
    content: bytes


def not_on_case(case_id: UUID, attachment_id: UUID) -> Refused:
    return Refused.not_found(
        "attachment_not_found", f"Case {case_id} has no attachment {attachment_id}."
    )


async def listed(pool: asyncpg.Pool, case_id: UUID, attachment_id: UUID) -> CaseAttachment:
    async with pool.acquire() as conn:
        found = await rows.get(conn, case_id, attachment_id)
    if found is None:
        raise not_on_case(case_id, attachment_id)
    return found


async def fetch_checked(intake: IntakeFiles, found: CaseAttachment, authorization: str) -> bytes:
    """The bytes from intake, only if they are the ones announced on the case."""
    if found.status != "received" or not found.content_path or not found.sha256:
        raise Refused.conflict(
            "attachment_not_fetched",
            "The file could not be fetched from the citizen's channel: ask for it again.",
            {"reason": found.failure_reason},
        )
    content = await intake.fetch(found.content_path, authorization)
    if hashlib.sha256(content).hexdigest() != found.sha256:
        log.error("attachment_checksum_mismatch", attachment_id=str(found.attachment_id))
        raise Refused(
            "attachment_corrupt",
            "The file intake served is not the one announced on the case.",
            status=502,
        )
    return content


async def read_case_attachment(
    pool: asyncpg.Pool,
    intake: IntakeFiles,
    staff: StaffIdentity,
    case_id: UUID,
    attachment_id: UUID,
    authorization: str,
) -> AttachmentBytes:
    found = await listed(pool, case_id, attachment_id)
    authorize(staff, roles=READ_ROLES, office=found.office)
    content: bytes | None = None
    if found.file_id is not None:  # accepted: documents keeps its own copy
        async with pool.acquire() as conn:
            content = await rows.file_content(conn, found.file_id)
    if content is None:
        content = await fetch_checked(intake, found, authorization)
    async with pool.acquire() as conn:
        await rows.record_read(conn, attachment_id, case_id, staff.actor)
    log.info("attachment_read", attachment_id=str(attachment_id), actor=staff.actor)
    return AttachmentBytes(found, content)
