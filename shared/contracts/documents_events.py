"""Cross-service events first published by documents (beyond the walking skeleton's).

Owned by the documents service; registered on import by shared.contracts.events.
"""

from __future__ import annotations
