"""Intake: every channel arrives here.

Owns the `intake` schema: each inbound message kept exactly as received (accepted or
rejected, with the reason), the ticket counters, the registrations (case id, ticket,
channel id for de-duplication), and the streams `complaint-<case_id>`, where a request
becomes a case with `ComplaintRegistered`. It also serves the published catalogue
read-only.
"""
