"""Who reads a confidential reporter's name or counselling notes in casework. The role
sets of every endpoint are casework's published contract, `shared.contracts.case_roles`
(the staff web app offers its buttons by them); the routers name those sets, and
`shared.auth.authorize` checks them (403 with a reason).
"""

from __future__ import annotations

from services.casework.domain.model import CaseState
from shared import reporter
from shared.auth import StaffIdentity
from shared.contracts.case_roles import NOTE_READERS

# Who may see who reported a confidential complaint (LAPOR! "rahasia"): the complaint
# officer, an administrator, and the staff the case was assigned to (`shared.reporter`,
# the one rule every service applies).


def may_see_reporter(staff: StaffIdentity, state: CaseState) -> bool:
    return reporter.may_see_reporter(
        staff, confidential=state.confidential, care_team=state.care_team
    )


def may_read_notes(staff: StaffIdentity, state: CaseState) -> bool:
    return staff.has_any(NOTE_READERS) and staff.staff_id in state.care_team
