"""Intake: every channel arrives here.

Owns the `intake` schema: each inbound message kept exactly as received (accepted or
rejected, with the reason), the registrations (case id, ticket, channel id for
de-duplication), citizens, likely duplicates, the triage queue and the walk-in desk; and
the streams `complaint-<case_id>` (where a request becomes a case with
`ComplaintRegistered`), `inbound-<inbound_id>` and `visit-<visit_id>`. It also serves the
published catalogue read-only. See README.md: which file holds which use case.
"""
