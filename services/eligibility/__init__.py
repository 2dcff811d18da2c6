"""Eligibility: the DTKS/DTSEN registry and the identity rules.

Owns the `eligibility` schema: the registry (`registry_snapshots`, one partition of
`registry_listings` per loaded DTKS/DTSEN extract, `registry_rejects`,
`registry_amendments`), `checks` (the latest result per case, for staff), and the streams
`eligibility-<case_id>`. See README.md in this folder.
On `ComplaintRegistered` it checks, as the office's published standard asks, whether the
person is listed in the registry (`DtksVerified` / `DtksNotFound`) and lives in the
office's region (`DomicileVerified` / `DomicileRefused`).
"""
