"""Casework's adapters: the holiday calendar."""
