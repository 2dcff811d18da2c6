"""Events intake takes in: none yet (channel adapters will publish on slrt.intake.inbound)."""

from __future__ import annotations

from shared.consumer import Handler

HANDLERS: dict[str, Handler] = {}
