"""Casework: the case lifecycle as staff see it.

Owns the `casework` schema and the `case-<case_id>` streams. It projects every
cross-service event of a case into a timeline and a case row (rebuildable from the store),
takes the staff commands of the case lifecycle (assignment, LK3 assessment, referral,
resolution), and resolves a case by itself when its letter is signed.
"""
