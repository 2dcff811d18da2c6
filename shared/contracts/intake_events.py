"""Cross-service events first published by intake (beyond the walking skeleton's).

Owned by the intake service; registered on import by shared.contracts.events.
"""

from __future__ import annotations
