"""Internal read APIs between services (the public portal's lookups, notifications'
status answers): narrow, read-only, and closed to everyone without the shared key.

A caller sends `X-SLRT-Internal-Key: <SLRT_INTERNAL_API_KEY>`; a missing or wrong key is
refused with 401 `internal_key_invalid` (compared in constant time). These routes sit
under `/v1/internal/` and are never exposed by the public-facing process: the portal
reaches them server-side. In production the key is a secret of the deployment and the
routes are also kept off the public ingress (deploy/).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header

from shared.refusal import Refused
from shared.settings import get_settings

HEADER = "X-SLRT-Internal-Key"


def require_internal_key(
    x_slrt_internal_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """FastAPI dependency: the caller is one of SLRT's own services."""
    expected = get_settings().slrt_internal_api_key
    if not x_slrt_internal_key or not hmac.compare_digest(
        x_slrt_internal_key.encode(), expected.encode()
    ):
        raise Refused(
            "internal_key_invalid",
            "This internal API needs the services' shared key.",
            status=401,
        )


def internal_headers() -> dict[str, str]:
    """The header a service sends to another's internal API."""
    return {HEADER: get_settings().slrt_internal_api_key}
