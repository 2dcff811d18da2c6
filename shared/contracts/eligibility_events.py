"""Cross-service events first published by eligibility (beyond the walking skeleton's).

Owned by the eligibility service; registered on import by shared.contracts.events.
"""

from __future__ import annotations
