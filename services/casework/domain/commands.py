"""What staff ask casework to do: imperative, validated at the door."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.vocab import Role


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


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
    programme: str | None = Field(
        default=None, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", examples=["pkh", "kis"]
    )


class ResolveCase(_Command):
    outcome: str = Field(
        min_length=1,
        max_length=50,
        pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$",
        examples=["answered", "referred", "letter_issued"],
    )
    reason: str = Field(default="", max_length=2_000)


class AssignCase(_Command):
    assignee: str = Field(min_length=1, max_length=100, description="Staff id of the new owner.")
    role: Role = Field(description="The role the assignee acts in.", examples=["social_worker"])
    instruction: str = Field(
        default="", max_length=2_000, description="A disposition's written instruction."
    )
    reason: str = Field(default="", max_length=2_000)


class DelegateCase(_Command):
    """The disposed official hands the case on to someone lower in the line."""

    assignee: str = Field(min_length=1, max_length=100, description="Staff id of the delegate.")
    role: Role = Field(description="The role the delegate acts in.", examples=["sub_coordinator"])
    instruction: str = Field(default="", max_length=2_000, description="What is asked of them.")
    reason: str = Field(default="", max_length=2_000)


class Transition(_Command):
    """A lifecycle step that needs only a reason (take up, start, resume, close, reopen)."""

    reason: str = Field(default="", max_length=2_000)


class PauseCase(_Command):
    waiting_for: Literal["citizen", "agency"]
    agency: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2_000)


class AnswerCase(_Command):
    answer: str = Field(min_length=1, max_length=10_000)
    reason: str = Field(default="", max_length=2_000)


class ForwardCase(_Command):
    forwarded_to: str = Field(min_length=1, max_length=100, examples=["dinas-kependudukan"])
    reason: str = Field(min_length=1, max_length=2_000)


class RecordConsultation(_Command):
    psychologist: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="", max_length=2_000)


class RecordCounselling(_Command):
    notes: str = Field(min_length=1, max_length=20_000, description="Confidential notes.")


class AnswerReferral(_Command):
    accepted: bool
    reason: str = Field(default="", max_length=2_000)


class CloseReferral(_Command):
    outcome: str = Field(default="served", pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
    reason: str = Field(default="", max_length=2_000)


class AnswerSurvey(_Command):
    """The nine IKM elements (u1..u9), each 1-4; by ticket number from the survey form."""

    ticket_number: str = Field(min_length=1, max_length=50)
    scores: dict[str, int]
    survey_link: str | None = Field(
        default=None,
        max_length=500,
        description="The token of the signed survey link (`t=`), minted for this ticket; "
        "required unless a member of staff enters a paper form.",
    )
