"""The pure casework model: the case fold, timeline redaction, and the decisions."""
