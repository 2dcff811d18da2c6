"""Erasure of a person's data over HTTP (crypto-shredding): `POST /v1/cases/{id}/erasure`
by a data protection officer or an administrator of the case's office, with the legal
basis. Runs `service_layer/erase_personal_data.py`."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.casework.entrypoints.deps import accepted, command_case, get_casework
from services.casework.entrypoints.schemas import CommandAccepted
from services.casework.service_layer.erase_personal_data import erase_personal_data
from shared.auth import Staff, StaffRoles
from shared.contracts.vocab import Role

router = APIRouter(prefix="/v1/cases", tags=["cases"])

ERASERS = frozenset({Role.DATA_PROTECTION_OFFICER, Role.ADMIN})


class EraseCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_basis: str = Field(
        min_length=3,
        max_length=500,
        description="The legal ground of the erasure.",
        examples=["UU 27/2022 PDP Pasal 8 (permintaan subjek data)"],
    )


@router.post(
    "/{case_id}/erasure",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*ERASERS))],
)
async def erase(
    case_id: UUID, body: EraseCommand, request: Request, staff: Staff
) -> CommandAccepted:
    """Destroy the data keys of the case's person (every case of the same NIK too) and
    record PersonalDataErased on each; their personal data reads as erased everywhere from
    now on, while statuses, dates and counts stay."""
    case, actor = await command_case(request, staff, case_id, ERASERS)
    envelopes = await erase_personal_data(
        get_casework(request).new_uow, case, body.legal_basis.strip(), actor
    )
    return await accepted(request, case_id, envelopes)
