"""Which pages a person sees in the navigation, by role. A page builder adds its entry
here (the route itself still checks the role: hiding a link is not a permission)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.contracts.vocab import NO_CASE_ROLES, Role

# Who reads case files (casework's CASE_READERS): everyone but the analyst and the admin.
ALL_CASE_ROLES = frozenset(Role) - {Role.ANALYST, Role.ADMIN} - NO_CASE_ROLES
# Who holds a step of some office's approval chain after the draft (approves or signs).
APPROVERS = frozenset(
    {Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION, Role.SECRETARY, Role.HEAD_OF_OFFICE}
)


@dataclass(frozen=True)
class NavItem:
    key: str  # matched against the page's `active` to mark the current page
    label: str
    href: str
    roles: frozenset[Role]


NAVIGATION: list[NavItem] = [
    NavItem("work", "Pekerjaan saya", "/", ALL_CASE_ROLES),
    NavItem("approvals", "Persetujuan", "/persetujuan", APPROVERS),
    NavItem("staff", "Staf", "/admin/staf", frozenset({Role.ADMIN})),
    NavItem(
        "reception",
        "Resepsionis",
        "/resepsionis",
        frozenset({Role.RECEPTIONIST, Role.FRONT_OFFICE}),
    ),
    NavItem(
        "triage",
        "Triase",
        "/triase",
        frozenset({Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.OFFICER}),
    ),
    NavItem(
        "office",
        "Dasbor kantor",
        "/kantor",
        frozenset({Role.HEAD_OF_OFFICE, Role.HEAD_OF_DIVISION, Role.SECRETARY}),
    ),
]


def items_for(roles: Iterable[Role]) -> list[NavItem]:
    held = set(roles)
    return [item for item in NAVIGATION if item.roles & held]


def home_for(roles: Iterable[Role]) -> str | None:
    """Where a person lands after signing in: their first page (None: no page at all)."""
    items = items_for(roles)
    return items[0].href if items else None
