"""Stream ids in the event store, one function per kind of stream, grouped by owner.

A stream is owned by one service (only it appends to it); any service may read it. Its
id is built here and nowhere else, so a reader of another service's stream names it by a
function of that service's published contract (which import-linter can see), never by a
string typed inline.
"""

from __future__ import annotations

from uuid import UUID

# ---- intake ----------------------------------------------------------------------------


def complaint_stream(case_id: UUID) -> str:
    """A registered request: ComplaintRegistered, duplicates, replies, classification."""
    return f"complaint-{case_id}"


def inbound_stream(inbound_id: UUID) -> str:
    """One inbound message from a channel, as received, and what became of it."""
    return f"inbound-{inbound_id}"


def visit_stream(visit_id: UUID) -> str:
    """One walk-in visit: queue number, guest book, the ID card left at reception."""
    return f"visit-{visit_id}"


def channel_status_stream(channel: str, provider_message_id: str) -> str:
    """What a channel's provider reported about one message the office sent."""
    return f"channel-status-{channel}-{provider_message_id}"


# ---- eligibility -----------------------------------------------------------------------


def eligibility_stream(case_id: UUID) -> str:
    """The DTKS/DTSEN and domicile verdicts on a case, first check and rechecks."""
    return f"eligibility-{case_id}"


# ---- documents -------------------------------------------------------------------------


def checklist_stream(case_id: UUID) -> str:
    """A case's requirement checklist: documents received, missing, complete."""
    return f"checklist-{case_id}"


def letter_stream(letter_id: UUID) -> str:
    """One letter through its approval chain: drafted, reviewed, approved, signed."""
    return f"letter-{letter_id}"


# ---- casework --------------------------------------------------------------------------


def case_stream(case_id: UUID) -> str:
    """Casework's own decisions on a case: lifecycle, social work, referrals, deadlines."""
    return f"case-{case_id}"


# ---- notifications ---------------------------------------------------------------------


def notification_stream(case_id: UUID) -> str:
    """What the citizen was told about a case, and through which channel."""
    return f"notification-{case_id}"


def erasure_stream(case_id: UUID) -> str:
    """The erasure of a case's person (PersonalDataErased): owned by casework."""
    return f"erasure-{case_id}"
