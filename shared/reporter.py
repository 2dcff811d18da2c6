"""Who may see who reported: the one rule for confidential and anonymous reports, for
every service that answers with a name, NIK, KK number or contact.

- **Anonymous** (the reporter chose not to be known): no event carries an identity; the
  raw message, which may still hold what the channel let through, is for an administrator
  only (audits).
- **Confidential** ("rahasia", SP4N-LAPOR! and every other door): the identity is known to
  the complaint officer, an administrator, and the staff the case was assigned to (its
  care team, where the service knows it); every other reader sees it masked.

Casework (case views), intake (raw messages), eligibility (a case's registry check) and
documents (checklists, letters) all ask this module; none keeps a copy of the rule.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from shared.auth import StaffIdentity
from shared.contracts.streams import complaint_stream
from shared.contracts.vocab import Role

# Who may see who reported a confidential complaint (besides the case's care team).
IDENTITY_READERS = frozenset({Role.COMPLAINT_OFFICER, Role.ADMIN})
# Who may read the raw message of an anonymous report.
ANONYMOUS_READERS = frozenset({Role.ADMIN})

# What a masked field reads as, for people and machines alike.
MASKED = "[rahasia]"
# Keys that name or identify a person wherever they appear in a document we answer with.
IDENTITY_KEYS = frozenset(
    {
        "name",
        "nik",
        "kk_number",
        "kks_number",
        "phone",
        "email",
        "address",
        "handle",
        "birth_date",
        "recipient_name",
        "applicant_name",
        "applicant_nik",
    }
)


def may_see_reporter(
    staff: StaffIdentity,
    *,
    confidential: bool,
    anonymous: bool = False,
    care_team: Collection[str] = (),
) -> bool:
    """Whether this reader may see the reporter's identity."""
    if anonymous:
        return staff.has_any(ANONYMOUS_READERS)
    return not confidential or staff.has_any(IDENTITY_READERS) or staff.staff_id in care_team


def hidden_because(
    staff: StaffIdentity, *, confidential: bool, anonymous: bool = False
) -> str | None:
    """Why this reader may not see a raw message of the report (`anonymous`,
    `confidential`), or None."""
    if anonymous and not staff.has_any(ANONYMOUS_READERS):
        return "anonymous"
    if confidential and not staff.has_any(IDENTITY_READERS):
        return "confidential"
    return None


def mask_identity(value: Any) -> Any:
    """`value` with every identifying field (`IDENTITY_KEYS`) masked, at any depth; the
    shape stays (a reader sees that there is a name, not which)."""
    if isinstance(value, Mapping):
        return {
            k: (MASKED if k in IDENTITY_KEYS and v not in (None, "") else mask_identity(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_identity(v) for v in value]
    return value


@dataclass(frozen=True)
class Reporting:
    """How the case's reporter asked to be treated (from its `ComplaintRegistered`)."""

    confidential: bool = False
    anonymous: bool = False

    def visible_to(self, staff: StaffIdentity, care_team: Collection[str] = ()) -> bool:
        return may_see_reporter(
            staff, confidential=self.confidential, anonymous=self.anonymous, care_team=care_team
        )


async def case_reporting(db: asyncpg.Pool | asyncpg.Connection, case_id: UUID) -> Reporting:
    """The flags as the case was registered, read from the event store (the one truth every
    service may read; no service keeps a copy that could drift)."""
    row = await db.fetchrow(
        """SELECT coalesce((data->>'confidential')::boolean, false) AS confidential,
                  coalesce((data->>'anonymous')::boolean, false) AS anonymous
           FROM eventstore.events
           WHERE stream_id = $1 AND event_type = 'ComplaintRegistered'
           ORDER BY stream_version LIMIT 1""",
        complaint_stream(case_id),
    )
    if row is None:
        return Reporting()
    return Reporting(confidential=row["confidential"], anonymous=row["anonymous"])
