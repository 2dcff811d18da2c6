"""Eligibility use cases: load, decide with the domain, append and record in one transaction."""
