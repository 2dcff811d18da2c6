"""Cross-service events first published by casework (beyond the walking skeleton's).

Owned by the casework service; registered on import by shared.contracts.events.
"""

from __future__ import annotations
