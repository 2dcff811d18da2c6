"""Who may do what in casework: the role sets of every endpoint and the rules about who
reads a confidential reporter's name or counselling notes. One place; the routers name
these sets, and `shared.auth.authorize` checks them (403 with a reason).
"""

from __future__ import annotations

from services.casework.domain.model import CaseState
from shared import reporter
from shared.auth import StaffIdentity
from shared.contracts.vocab import NO_CASE_ROLES, Role
from shared.reporter import IDENTITY_READERS as IDENTITY_READERS

# Analysts read reports, not case files; admins run the system.
CASE_READERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN} - NO_CASE_ROLES
# Anyone who works cases (not the receptionist, analyst or admin).
CASE_WORKERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN, Role.RECEPTIONIST}
ASSIGNERS = frozenset(
    {Role.HEAD_OF_OFFICE, Role.HEAD_OF_DIVISION, Role.FRONT_OFFICE, Role.SUB_COORDINATOR}
)
DISPOSERS = frozenset({Role.HEAD_OF_OFFICE})  # a disposition (disposisi) is the head's
# The officials a disposition may reach (the standard's `disposition.to` narrows it, and
# the domain checks the delegator is the case's owner).
DELEGATORS = frozenset(
    {Role.HEAD_OF_OFFICE, Role.SECRETARY, Role.HEAD_OF_DIVISION, Role.SUB_COORDINATOR}
)
HANDOVER_GUIDES = frozenset({Role.RECEPTIONIST, Role.FRONT_OFFICE})
TAKERS = frozenset({Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.RECEPTIONIST})
BACK_OFFICE_SENDERS = frozenset({Role.FRONT_OFFICE})
SUPERVISORS = frozenset(
    {
        Role.HEAD_OF_OFFICE,
        Role.SECRETARY,
        Role.HEAD_OF_DIVISION,
        Role.SUB_COORDINATOR,
        Role.FRONT_OFFICE,
        Role.COMPLAINT_OFFICER,
    }
)
RESOLVERS = frozenset(
    {
        Role.FRONT_OFFICE,
        Role.OFFICER,
        Role.SOCIAL_WORKER,
        Role.HEAD_OF_DIVISION,
        Role.HEAD_OF_OFFICE,
    }
)
CLOSERS = RESOLVERS | SUPERVISORS
REOPENERS = SUPERVISORS
FORWARDERS = SUPERVISORS
# Social work (LK3).
IDENTITY_RECORDERS = frozenset({Role.FRONT_OFFICE, Role.SOCIAL_WORKER})
ASSESSORS = frozenset({Role.SOCIAL_WORKER})
CONSULTATION_HOLDERS = frozenset({Role.SOCIAL_WORKER})
COUNSELLORS = frozenset({Role.PSYCHOLOGIST})
REFERRERS = frozenset({Role.SOCIAL_WORKER, Role.OFFICER, Role.FRONT_OFFICE, Role.BACK_OFFICE})
# The office's registers and reports.
RECEPTION_READERS = CASE_READERS | {Role.RECEPTIONIST}
IKM_READERS = CASE_READERS | {Role.ANALYST}

# Counselling notes: the social workers / psychologists the case was assigned to.
NOTE_READERS = frozenset({Role.SOCIAL_WORKER, Role.PSYCHOLOGIST})
# Who may see who reported a confidential complaint (LAPOR! "rahasia"): the complaint
# officer, an administrator, and the staff the case was assigned to (`shared.reporter`,
# the one rule every service applies).


def may_see_reporter(staff: StaffIdentity, state: CaseState) -> bool:
    return reporter.may_see_reporter(
        staff, confidential=state.confidential, care_team=state.care_team
    )


def may_read_notes(staff: StaffIdentity, state: CaseState) -> bool:
    return staff.has_any(NOTE_READERS) and staff.staff_id in state.care_team
