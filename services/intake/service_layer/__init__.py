"""Intake use cases: each loads what it needs, decides with the domain, and commits once."""
