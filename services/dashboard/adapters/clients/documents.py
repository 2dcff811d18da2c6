"""documents: checklists, uploads, letters and their approval chain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.dashboard.adapters.clients.base import ServiceClient
from shared.refusal import Refused


class DocumentsClient(ServiceClient):
    service = "documents"

    async def checklist(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/checklist`."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/checklist", token)
        return result

    async def letter(self, token: str, letter_id: UUID) -> dict[str, Any]:
        result: dict[str, Any] = await self.get(f"/v1/letters/{letter_id}", token)
        return result

    async def case_letters(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`GET /v1/cases/{id}/letters`: every letter of the case, oldest first."""
        result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/letters", token)
        return result

    async def letters_waiting(self, token: str) -> dict[str, Any]:
        """`GET /v1/letters`: the office's letters waiting at the caller's steps, oldest first."""
        result: dict[str, Any] = await self.get("/v1/letters", token)
        return result

    async def attachments(self, token: str, case_id: UUID) -> dict[str, Any] | None:
        """`GET /v1/cases/{id}/attachments` where documents has it (None where it does not)."""
        try:
            result: dict[str, Any] = await self.get(f"/v1/cases/{case_id}/attachments", token)
        except Refused as refused:
            if refused.status in (404, 405):
                return None
            raise
        return result

    async def receive_document(
        self, token: str, case_id: UUID, document_type: str, form: str
    ) -> dict[str, Any]:
        """`POST /v1/cases/{id}/documents`: a document checked at the desk, without a scan."""
        result: dict[str, Any] = await self.post(
            f"/v1/cases/{case_id}/documents",
            token,
            json={"document_type": document_type, "form": form},
        )
        return result

    async def upload_document(
        self,
        token: str,
        case_id: UUID,
        document_type: str,
        form: str,
        file: tuple[str, bytes, str],
    ) -> dict[str, Any]:
        """`POST /v1/cases/{id}/documents/upload`: the same with its scan (multipart)."""
        result: dict[str, Any] = await self.post(
            f"/v1/cases/{case_id}/documents/upload",
            token,
            data={"document_type": document_type, "form": form},
            files={"file": file},
        )
        return result

    async def decide_checklist(self, token: str, case_id: UUID) -> dict[str, Any]:
        """`POST /v1/cases/{id}/checklist/decision`: complete, or what is still missing."""
        result: dict[str, Any] = await self.post(f"/v1/cases/{case_id}/checklist/decision", token)
        return result

    async def draft_letter(self, token: str, case_id: UUID, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /v1/cases/{id}/letters`: draft the case's letter."""
        result: dict[str, Any] = await self.post(f"/v1/cases/{case_id}/letters", token, json=body)
        return result

    async def letter_step(
        self, token: str, letter_id: UUID, action: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """`POST /v1/letters/{id}/{approve|return|resubmit|sign|issue}`."""
        result: dict[str, Any] = await self.post(
            f"/v1/letters/{letter_id}/{action}", token, json=body
        )
        return result

    async def letter_pdf(self, token: str, letter_id: UUID) -> bytes:
        """`GET /v1/letters/{id}.pdf`: the signed letter's PDF."""
        result: bytes = await self.get(f"/v1/letters/{letter_id}.pdf", token)
        return result
