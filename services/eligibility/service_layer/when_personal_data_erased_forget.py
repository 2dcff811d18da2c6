"""Policy: when a person's data is erased (PersonalDataErased, crypto-shredding),
eligibility forgets the NIK, KK and name its checks of their cases kept."""

from __future__ import annotations

import asyncpg

from services.eligibility.adapters import erasure
from shared.contracts.erasure_events import PersonalDataErased
from shared.logging import get_logger

log = get_logger(__name__)


async def forget_erased_person(conn: asyncpg.Connection, event: PersonalDataErased) -> None:
    await erasure.forget_case_person(conn, event.case_id)
    log.info("personal_data_forgotten", case_id=str(event.case_id))
