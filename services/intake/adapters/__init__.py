"""Intake's adapters: its tables, and the seam for channel adapters."""
