"""What staff ask casework to do: imperative, validated at the door."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.vocab import Role


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AssignCase(_Command):
    assignee: str = Field(min_length=1, max_length=100, description="Staff id of the new owner.")
    role: Role = Field(description="The role the assignee acts in.", examples=["social_worker"])


class RecordAssessment(_Command):
    summary: str = Field(
        min_length=1, max_length=20_000, description="Confidential assessment notes."
    )


class MakeReferral(_Command):
    agency: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
        examples=["dinas-kesehatan", "bpjs"],
    )
    reason: str = Field(min_length=1, max_length=2_000)


class ResolveCase(_Command):
    outcome: str = Field(
        min_length=1,
        max_length=50,
        pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$",
        examples=["answered", "referred", "letter_issued"],
    )
