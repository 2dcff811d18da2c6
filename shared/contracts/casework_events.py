"""Cross-service events first published by casework (beyond the walking skeleton's).

Owned by the casework service; registered on import by shared.contracts.events.
Every lifecycle transition is one of these facts, appended to `case-<case_id>` with the
acting staff member (or `system:casework`) in the envelope's `actor` and here in `by`,
and the reason in `reason`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event, register
from shared.contracts.vocab import Role
from shared.personal import Personal

CASEWORK_TOPIC = "slrt.casework.events"  # same value as shared.contracts.events.CASEWORK_TOPIC


class _CaseworkEvent(Event):
    topic = CASEWORK_TOPIC

    case_id: UUID
    by: str = Field(description="Who did it: staff:<id> or system:casework.")
    reason: Annotated[str, Personal()] = Field(default="", max_length=2_000)


# ---- lifecycle -------------------------------------------------------------------------


@register
class CaseFileOpened(_CaseworkEvent):
    """The front office took the registered case up and opened its file (it checks the
    documents and eligibility next)."""

    event_type = "CaseFileOpened"


@register
class CaseTransferred(_CaseworkEvent):
    """The case moved from one desk to the next (the front office passed it to the back
    office)."""

    event_type = "CaseTransferred"

    to_desk: Literal["back_office"] = "back_office"


@register
class CaseWorkStarted(_CaseworkEvent):
    """The owner of the case started working on it."""

    event_type = "CaseWorkStarted"


@register
class CasePaused(_CaseworkEvent):
    """The case waits for the citizen or another agency; its deadline clock stops."""

    event_type = "CasePaused"

    waiting_for: Literal["citizen", "agency"]
    agency: str | None = Field(default=None, examples=["dukcapil"])


@register
class CaseResumed(_CaseworkEvent):
    """The wait is over (the citizen replied, the agency answered); the clock runs again."""

    event_type = "CaseResumed"


@register
class CaseAnswered(_CaseworkEvent):
    """The citizen was given an answer (on the spot, or in writing)."""

    event_type = "CaseAnswered"

    answer: Annotated[str, Personal()] = Field(
        default="", max_length=10_000, description="What was answered."
    )


@register
class CaseClosed(_CaseworkEvent):
    """The case file is closed; only a reopening brings it back."""

    event_type = "CaseClosed"


@register
class CaseReopened(_CaseworkEvent):
    """An answered, resolved or closed case was opened again; a new clock starts."""

    event_type = "CaseReopened"


@register
class CaseForwarded(_CaseworkEvent):
    """Not this office's authority: the case was forwarded to the body that has it."""

    event_type = "CaseForwarded"

    forwarded_to: str = Field(examples=["dinas-kependudukan", "bpjs-kesehatan"])


@register
class CaseMerged(_CaseworkEvent):
    """This case was a confirmed duplicate and is merged into the open case."""

    event_type = "CaseMerged"

    merged_into: UUID


@register
class DuplicateMerged(_CaseworkEvent):
    """A confirmed duplicate case was merged into this one."""

    event_type = "DuplicateMerged"

    duplicate_case_id: UUID


@register
class CaseDelegated(_CaseworkEvent):
    """The official a case was disposed (or delegated) to handed its work on to someone
    lower in the line, as the office's standard allows; they now own it and draft its
    written answer."""

    event_type = "CaseDelegated"

    assignee: str = Field(description="Staff id of the official who now owns the case.")
    role: Role = Field(description="The role the new owner acts in.")
    from_role: Role = Field(description="The role the delegating official held the case in.")
    instruction: Annotated[str, Personal()] = Field(
        default="", max_length=2_000, description="What the delegating official asks for."
    )


# ---- deadlines -------------------------------------------------------------------------


@register
class DeadlineWarned(_CaseworkEvent):
    """Most of the published completion time has gone; the deadline is near."""

    event_type = "DeadlineWarned"

    due_at: datetime
    clock: int = Field(default=1, description="Which clock of the case (a reopening starts one).")


@register
class DeadlineBreached(_CaseworkEvent):
    """The published completion time has passed without an answer (or, with `step`, the
    time budget of one step of the procedure, e.g. the LK3 initial assessment)."""

    event_type = "DeadlineBreached"

    due_at: datetime
    clock: int = 1
    step: str | None = Field(default=None, examples=["assessment"])


@register
class CaseEscalated(_CaseworkEvent):
    """The case was brought to the next level up (after a breached deadline)."""

    event_type = "CaseEscalated"

    to_role: Role
    from_role: Role | None = None
    clock: int = 1


# ---- social work (LK3) -----------------------------------------------------------------


@register
class ClientIdentityRecorded(_CaseworkEvent):
    """The LK3 client's identity was recorded (pendataan identitas klien)."""

    event_type = "ClientIdentityRecorded"


@register
class CaseConsulted(_CaseworkEvent):
    """Case consultation; the social worker names the psychologist who will counsel."""

    event_type = "CaseConsulted"

    psychologist: str = Field(description="Staff id of the psychologist for the sessions.")


@register
class CounsellingSessionRecorded(_CaseworkEvent):
    """One counselling session by the psychologist (the standard plans 3 or 4)."""

    event_type = "CounsellingSessionRecorded"

    session: int = Field(ge=1)
    notes: Annotated[str, Personal()] = Field(
        default="",
        max_length=20_000,
        description="Confidential: readable by the case's social worker and psychologist only.",
    )


# ---- referrals -------------------------------------------------------------------------


@register
class ReferralAccepted(_CaseworkEvent):
    """The receiving agency or programme accepted the referral."""

    event_type = "ReferralAccepted"

    referral_id: UUID


@register
class ReferralRefused(_CaseworkEvent):
    """The receiving agency or programme refused the referral, with its reason."""

    event_type = "ReferralRefused"

    referral_id: UUID


@register
class ReferralFollowUpRequested(_CaseworkEvent):
    """Reminder: an open referral needs following up with the receiver."""

    event_type = "ReferralFollowUpRequested"

    referral_id: UUID
    reminder: int = Field(ge=1, description="1 for the first reminder, 2 for the next, ...")


@register
class ReferralClosed(_CaseworkEvent):
    """The referral is finished (service received, or given up); no more reminders."""

    event_type = "ReferralClosed"

    referral_id: UUID
    outcome: str = Field(default="served", examples=["served", "abandoned"])


# ---- satisfaction survey (IKM) ---------------------------------------------------------


@register
class SurveyAnswered(_CaseworkEvent):
    """A Survei Kepuasan Masyarakat (PermenPANRB 14/2017) answer about a closed case."""

    event_type = "SurveyAnswered"

    survey_id: UUID
    office: str
    service: str
    scores: dict[str, int] = Field(
        description="The nine elements (u1..u9), each scored 1 (tidak baik) to 4 (sangat baik)."
    )
