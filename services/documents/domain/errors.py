"""Why the domain refused a command: a stable machine-readable code and a clear message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command refused by the rules. `code` is stable; entrypoints map it to a status."""

    def __init__(self, code: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
