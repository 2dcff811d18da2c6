"""Every role has its Indonesian label in the staff web app: a page for a person holding
a role without one failed with a 500 (every page shows the roles of who is signed in),
and the administrator could not give the role (the form lists the labelled roles)."""

from __future__ import annotations

from services.dashboard.domain.accounts import ROLE_LABELS
from shared.contracts.vocab import Role


def test_every_role_has_a_label() -> None:
    assert set(ROLE_LABELS) == set(Role)
    assert all(label.strip() for label in ROLE_LABELS.values())
