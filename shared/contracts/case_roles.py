"""Who may call which command on a case: the role set of each endpoint, grouped by the
service that owns it.

Part of each service's published HTTP contract. The services authorise by these sets
(`shared.auth.authorize`: 403 with a reason); the staff web app offers a person only the
buttons these sets allow (services/dashboard `domain/case_actions.py`). Defined here once,
so the two cannot drift apart; services never import each other.
"""

from __future__ import annotations

from shared.contracts.vocab import NO_CASE_ROLES, Role

# ---- casework --------------------------------------------------------------------------

# Analysts read reports, not case files; admins run the system.
CASE_READERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN} - NO_CASE_ROLES
# Anyone who works cases (not the receptionist, analyst or admin, nor the roles that
# never touch a case: the registry admin and the auditor).
CASE_WORKERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN, Role.RECEPTIONIST} - NO_CASE_ROLES
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
# Who takes a request in at the desk: the front office, the complaint officers, the
# reception, and the "petugas pelayanan" where the standard has no front office (Lumajang:
# the officer checks completeness and drafts; the case waits in the officer's queue).
TAKERS = frozenset({Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.RECEPTIONIST, Role.OFFICER})
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
# Counselling notes: the social workers / psychologists the case was assigned to (casework
# checks the care team too).
NOTE_READERS = frozenset({Role.SOCIAL_WORKER, Role.PSYCHOLOGIST})

# ---- documents -------------------------------------------------------------------------

# Record, upload or decide a case's documents (the checklist).
DOCUMENT_RECEIVERS = frozenset({Role.FRONT_OFFICE, Role.OFFICER, Role.BACK_OFFICE})
# Hand a signed letter over: the desk, and whoever drafts letters (and the letter's drafter).
LETTER_ISSUERS = frozenset({Role.FRONT_OFFICE, Role.OFFICER, Role.BACK_OFFICE, Role.RECEPTIONIST})

# ---- eligibility -----------------------------------------------------------------------

# Ask for a case's registry check again.
RECHECKERS = frozenset(
    {Role.FRONT_OFFICE, Role.BACK_OFFICE, Role.COMPLAINT_OFFICER, Role.SOCIAL_WORKER}
)

# ---- intake ----------------------------------------------------------------------------

# Triage: classify unrouted messages, confirm or dismiss a likely duplicate.
TRIAGERS = frozenset({Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.OFFICER, Role.ADMIN})
