"""The pure casework model: the case fold, timeline redaction, and the decisions
(lifecycle, social work, referrals, escalation, survey)."""
