"""What staff ask the documents service to do (imperative; each has one handler)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.vocab import Channel


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReceiveDocument(_Command):
    case_id: UUID
    document_type: str = Field(min_length=1, max_length=64, examples=["ktp", "kks"])
    form: Literal["original", "copy"] = "copy"


class DraftLetter(_Command):
    case_id: UUID
    product: str | None = Field(
        default=None, description="Catalogue product id; default: the variant's letter."
    )
    recipient: str | None = Field(
        default=None,
        max_length=500,
        description="Addressee (Kepada Yth.); required for an LK3 referral letter.",
    )
    text: str | None = Field(
        default=None,
        max_length=20_000,
        description="The drafter's own paragraphs: the answer to a complaint letter, or "
        "the reason for a referral (required for those).",
    )


class IssueLetter(_Command):
    letter_id: UUID
    channel: Channel = Channel.WALK_IN


class ApproveLetter(_Command):
    letter_id: UUID
    comment: str = Field(default="", max_length=5000)
    expected_version: int | None = Field(
        default=None, description="Version of the letter the official saw; stale -> 409 conflict."
    )


class ReturnLetter(_Command):
    letter_id: UUID
    comment: str = Field(min_length=1, max_length=5000)
    expected_version: int | None = None


class ResubmitLetter(_Command):
    letter_id: UUID
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    expected_version: int | None = None


class SignLetter(_Command):
    letter_id: UUID
    expected_version: int | None = None
