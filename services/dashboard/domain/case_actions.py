"""Which buttons of the case page a person sees: derived from their roles, the case's
stage and the letter's step. Pure; the role sets are the services' published contract
(`shared.contracts.case_roles`, which they authorise by); this mirrors casework's transition
table (`domain/lifecycle.py`) and the letter's chain, so a person is not offered what the
service would refuse. Hiding is a convenience only: the service still decides, and its refusal
is shown in Bahasa Indonesia.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.catalogue import ServiceStandard
from shared.contracts import case_roles
from shared.contracts.case_stages import OPEN_WORK, PAUSED_STAGES
from shared.contracts.vocab import Role

# casework's role sets are its published contract (shared.contracts.case_roles); the
# roles that work on no case are never offered case work here.
CASE_WORKERS = case_roles.CASE_WORKERS
# casework's transition table (domain/lifecycle.py ALLOWED), by stage
ALLOWED: dict[str, frozenset[str]] = {
    "take-up": frozenset({"registered"}),
    "back-office": frozenset({"registered", "front_office"}),
    "assign": OPEN_WORK,
    "disposition": OPEN_WORK,
    "delegate": OPEN_WORK,
    "start": frozenset({"assigned"}),
    "pause": OPEN_WORK - {"registered"},
    "resume": PAUSED_STAGES,
    "answer": OPEN_WORK,
    "resolve": OPEN_WORK | {"answered"},
    "close": frozenset({"answered", "resolved"}),
    "reopen": frozenset({"answered", "resolved", "closed"}),
    "forward": OPEN_WORK,
    "social-work/identity": frozenset({"registered", "front_office"}),
    "assessment": frozenset({"assigned", "in_progress"}),
    "social-work/consultation": frozenset({"in_progress"}),
    "social-work/counselling": frozenset({"in_progress"}),
    "referrals": OPEN_WORK | {"answered"},
}

ROLES_OF: dict[str, frozenset[Role]] = {
    "take-up": case_roles.TAKERS,
    "back-office": case_roles.BACK_OFFICE_SENDERS,
    "assign": case_roles.ASSIGNERS,
    "disposition": case_roles.DISPOSERS,
    "delegate": case_roles.DELEGATORS,
    "start": CASE_WORKERS,
    "pause": CASE_WORKERS,
    "resume": CASE_WORKERS,
    "answer": CASE_WORKERS,
    "resolve": case_roles.RESOLVERS,
    "close": case_roles.CLOSERS,
    "reopen": case_roles.REOPENERS,
    "forward": case_roles.FORWARDERS,
    "social-work/identity": case_roles.IDENTITY_RECORDERS,
    "assessment": case_roles.ASSESSORS,
    "social-work/consultation": case_roles.CONSULTATION_HOLDERS,
    "social-work/counselling": case_roles.COUNSELLORS,
    "referrals": case_roles.REFERRERS,
}


# Shown in their own panels (disposition, LK3, referrals), not among the general actions.
PANEL_ACTIONS = frozenset(
    {
        "disposition",
        "delegate",
        "social-work/identity",
        "assessment",
        "social-work/consultation",
        "social-work/counselling",
        "referrals",
    }
)


@dataclass(frozen=True)
class LetterButtons:
    """What the person may do with one letter now."""

    approve: bool = False
    sign: bool = False
    resubmit: bool = False
    issue: bool = False
    pdf: bool = False

    @property
    def review(self) -> bool:
        """Approve and return are offered together (the step is theirs)."""
        return self.approve or self.sign


@dataclass(frozen=True)
class CaseButtons:
    """The case page's actions for one person, now."""

    lifecycle: frozenset[str] = frozenset()
    documents: bool = False
    recheck: bool = False
    draft: bool = False
    duplicate: bool = False
    referral_answer: bool = False
    disposition_roles: tuple[Role, ...] = ()
    delegate_roles: tuple[Role, ...] = ()
    letters: Mapping[str, LetterButtons] = field(default_factory=dict)

    def can(self, action: str) -> bool:
        return action in self.lifecycle

    @property
    def general(self) -> frozenset[str]:
        """The lifecycle actions of the "Tindakan" panel (the others have their own)."""
        return self.lifecycle - PANEL_ACTIONS


def _disposition_roles(standard: ServiceStandard | None) -> tuple[Role, ...]:
    if standard is None or standard.disposition is None:
        return ()
    return tuple(t.role for t in standard.disposition.to)


def _delegate_roles(
    standard: ServiceStandard | None, assignee_role: str | None
) -> tuple[Role, ...]:
    if standard is None or standard.disposition is None or assignee_role is None:
        return ()
    for target in standard.disposition.to:
        if target.role.value == assignee_role:
            return target.delegate_to
    return ()


def draft_role(standard: ServiceStandard | None) -> Role | None:
    """The chain's default drafter (the catalogue's `draft` step)."""
    if standard is None:
        return None
    return next((s.role for s in standard.approval_chain if s.action == "draft"), None)


def has_disposition_step(standard: ServiceStandard | None, channel: str | None) -> bool:
    if standard is None:
        return False
    if standard.approval_chain_channels and channel not in {
        c.value for c in standard.approval_chain_channels
    }:
        return False
    return any(s.action == "disposition" for s in standard.approval_chain)


def letter_buttons(
    roles: frozenset[Role], username: str, letter: Mapping[str, Any]
) -> LetterButtons:
    status = letter.get("status")
    step = letter.get("current_step") or {}
    due_role = step.get("role")
    mine = due_role is not None and due_role in {r.value for r in roles}
    return LetterButtons(
        approve=mine and step.get("action") == "approve",
        sign=mine and step.get("action") == "sign",
        resubmit=status == "returned"
        and letter.get("drafted_by") in (username, f"staff:{username}"),
        issue=status == "signed"
        and not letter.get("issued")
        and bool(roles & case_roles.LETTER_ISSUERS),
        pdf=status == "signed",
    )


def case_buttons(
    roles: Iterable[Role],
    username: str,
    case: Mapping[str, Any],
    standard: ServiceStandard | None,
    letters: Iterable[Mapping[str, Any]] = (),
    *,
    suspected_duplicate: bool = False,
) -> CaseButtons:
    held = frozenset(roles)
    stage = str(case.get("stage") or "registered")
    owner = case.get("assigned_to") == username
    lifecycle = {
        action for action, stages in ALLOWED.items() if stage in stages and held & ROLES_OF[action]
    }
    if case.get("status") == "not_eligible":
        # casework refuses the hand-over while DTKS or the domicile is refused (409
        # not_eligible): a recheck, a forward or an answer is what is left to do.
        lifecycle.discard("back-office")
    disposition_roles = _disposition_roles(standard)
    if not disposition_roles:
        lifecycle.discard("disposition")
    delegate_roles = _delegate_roles(standard, case.get("assignee_role"))
    if not (owner and delegate_roles):
        lifecycle.discard("delegate")
    if case.get("assigned_to") is None or not owner:
        lifecycle.discard("start")  # only the case's owner starts the work
    social_work = standard is not None and standard.workflow == "social_work"
    if not social_work:
        lifecycle -= {
            "social-work/identity",
            "assessment",
            "social-work/consultation",
            "social-work/counselling",
        }
    elif not owner:
        lifecycle -= {"assessment", "social-work/consultation"}
    all_letters = list(letters)
    signed = any(lt.get("status") == "signed" for lt in all_letters)
    if (
        stage == "resolved"
        and signed
        and standard is not None
        and standard.programme_referrals
        and held & ROLES_OF["referrals"]
    ):
        # Pariaman: the programme referral may follow the signed certificate (steps 8-9;
        # casework's `lifecycle.AFTER_LETTER`), until the case is closed.
        lifecycle.add("referrals")
    active = [lt for lt in all_letters if lt.get("status") != "signed"]
    drafter = draft_role(standard)
    if has_disposition_step(standard, case.get("channel")):
        may_draft = owner
    else:
        may_draft = drafter is not None and drafter in held
    open_stage = stage in OPEN_WORK or stage in PAUSED_STAGES
    return CaseButtons(
        lifecycle=frozenset(lifecycle),
        documents=bool(held & case_roles.DOCUMENT_RECEIVERS) and open_stage,
        recheck=bool(held & case_roles.RECHECKERS) and open_stage,
        draft=may_draft and not active and not signed and open_stage and drafter is not None,
        duplicate=suspected_duplicate and bool(held & case_roles.TRIAGERS),
        referral_answer=bool(held & case_roles.REFERRERS),
        disposition_roles=disposition_roles,
        delegate_roles=delegate_roles,
        letters={str(lt["letter_id"]): letter_buttons(held, username, lt) for lt in all_letters},
    )
