"""The due date of a case, in the office's calendar, as casework computed it (its
internal `public-status` read): notifications never computes working days, holidays or
cuti bersama itself."""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID

from services.notifications.adapters.casework_status import CaseworkStatus
from services.notifications.adapters.directory import OfficeDirectory
from shared.localtime import local_date


class DueDates(Protocol):
    async def due_date_of(self, case_id: UUID, office: str) -> date | None:
        """The due date at the office; None while casework has no due date for the case
        (it has not folded the registration yet). Raises when casework cannot be reached."""
        ...


class CaseworkDueDates:
    def __init__(self, casework: CaseworkStatus, directory: OfficeDirectory) -> None:
        self.casework = casework
        self.directory = directory

    async def due_date_of(self, case_id: UUID, office: str) -> date | None:
        status = await self.casework.status_of(case_id)
        if status is None or status.due_at is None:
            return None
        return local_date(status.due_at, self.directory.region_code(office) or "31.71")
