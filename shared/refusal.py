"""Why a command or request was refused: the one refusal type every service raises.

A refusal is not a failure: the rules said no, and the caller is told why. `code` is
stable and machine-readable (clients and the staff app branch on it), `message` is for a
person, `details` carries what a client needs to act (the stage, the missing documents),
and `status` is the HTTP answer that fits. `shared/http.py` turns any `Refused` into
`{"error": {"code", "message", "details"}}` with that status; nothing else maps errors.

Domain code uses the named constructors, which say what kind of "no" it is:

* `Refused.conflict` (409): the state does not allow it now (an illegal transition).
* `Refused.forbidden` (403): this person may not (a wrong role, another office).
* `Refused.invalid` (422): the request itself is wrong (an unknown variant, a bad NIK).
* `Refused.not_found` (404): there is no such case, letter or message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Refused(Exception):
    """A command or request the rules refuse, with a machine-readable reason."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 409,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details: dict[str, Any] = dict(details or {})

    def __repr__(self) -> str:
        return f"Refused({self.code!r}, {self.message!r}, status={self.status})"

    @classmethod
    def conflict(cls, code: str, message: str, details: Mapping[str, Any] | None = None) -> Refused:
        return cls(code, message, status=409, details=details)

    @classmethod
    def forbidden(
        cls, code: str, message: str, details: Mapping[str, Any] | None = None
    ) -> Refused:
        return cls(code, message, status=403, details=details)

    @classmethod
    def invalid(cls, code: str, message: str, details: Mapping[str, Any] | None = None) -> Refused:
        return cls(code, message, status=422, details=details)

    @classmethod
    def not_found(
        cls, code: str, message: str, details: Mapping[str, Any] | None = None
    ) -> Refused:
        return cls(code, message, status=404, details=details)
