"""Casework's use cases: load a stream, decide, append and project in one transaction."""
