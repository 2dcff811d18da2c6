"""Eligibility: the DTKS/DTSEN registry and the identity rules.

Owns the `eligibility` schema: `registry_members` (the registry extract it checks against),
`checks` (the latest result per case, for staff), and the streams `eligibility-<case_id>`.
On `ComplaintRegistered` it checks, as the office's published standard asks, whether the
person is listed in the registry (`DtksVerified` / `DtksNotFound`) and lives in the
office's region (`DomicileVerified` / `DomicileRefused`).
"""
