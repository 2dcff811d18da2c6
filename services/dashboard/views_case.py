"""The case page's panels and the approval inbox, read from the services' HTTP APIs with
the person's token (every read stays logged by the service that holds it): the checklist
and letters (documents), the eligibility verdict, the LK3 steps (casework), a suspected
duplicate (intake), the case's attachments where documents has them. The buttons come
from `domain/case_actions.py`; who can be chosen for an assignment, disposition or
consultation comes from the dashboard's own staff directory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from services.dashboard import views
from services.dashboard.adapters import accounts
from services.dashboard.adapters.clients.registry import Services
from services.dashboard.domain.accounts import ROLE_LABELS, Account
from services.dashboard.domain.case_actions import case_buttons
from shared.catalogue import Office, ServiceStandard
from shared.contracts import case_roles
from shared.contracts.case_stages import STOPPED_STAGES
from shared.contracts.vocab import Role
from shared.labels import DTKS_NOT_FOUND_LABELS, FORM_LABELS
from shared.refusal import Refused

T = TypeVar("T")

DTKS_LABELS = {
    "verified": "Terdaftar di DTKS",
    "not_found": "Tidak ditemukan di DTKS",
    "not_required": "Tidak perlu DTKS",
    "not_checked": "Belum diperiksa",
    "pending": "Menunggu pemeriksaan",
}
DOMICILE_LABELS = {
    "verified": "Berdomisili di wilayah kantor",
    "refused": "Di luar wilayah kantor",
    "not_required": "Tidak perlu",
    "not_checked": "Belum diperiksa",
}
LETTER_STATUS_LABELS = {
    "in_review": "Dalam persetujuan",
    "approved": "Disetujui, menunggu tanda tangan",
    "returned": "Dikembalikan untuk perbaikan",
    "signed": "Ditandatangani",
}
REFERRAL_STATES = {
    "ReferralMade": "Terbuka",
    "ReferralAccepted": "Diterima",
    "ReferralRefused": "Ditolak",
    "ReferralClosed": "Ditutup",
}
# Who can be given a case (assignment): those who work cases.
ASSIGNABLE = (
    Role.OFFICER,
    Role.BACK_OFFICE,
    Role.SOCIAL_WORKER,
    Role.COMPLAINT_OFFICER,
    Role.SUB_COORDINATOR,
    Role.HEAD_OF_DIVISION,
    Role.FRONT_OFFICE,
)


async def _maybe(read: Awaitable[T]) -> T | None:
    """A panel's read; a 404/409 (nothing there yet, not this kind of case) shows nothing."""
    try:
        return await read
    except Refused as refused:
        if refused.status in (404, 409):
            return None
        raise


def _choices(staff: list[Account], roles: tuple[Role, ...]) -> list[dict[str, str]]:
    """`username|role` options for a select: each active account once per role it holds."""
    out = []
    for role in roles:
        for a in staff:
            if a.active and role in a.roles:
                out.append(
                    {
                        "value": f"{a.username}|{role.value}",
                        "label": f"{a.name} — {ROLE_LABELS[role]}",
                    }
                )
    return out


def _referrals(
    timeline: list[dict[str, Any]], standard: ServiceStandard | None = None
) -> list[dict[str, Any]]:
    """The case's referrals, with the agency and programme named as the standard names
    them (their ids where it does not)."""
    names: dict[str, str] = {}
    if standard is not None:
        names.update((a.id, a.name) for a in standard.agencies)
    programmes = {p.programme: p.name for p in standard.programme_referrals} if standard else {}
    by_id: dict[str, dict[str, Any]] = {}
    for item in timeline:  # oldest first
        details = item.get("details") or {}
        rid = details.get("referral_id")
        if item["event_type"] not in REFERRAL_STATES or rid is None:
            continue
        if item["event_type"] == "ReferralMade":
            by_id[str(rid)] = {
                "referral_id": str(rid),
                "agency": details.get("agency"),
                "programme": details.get("programme"),
                "reason": details.get("reason"),
                "made_at": item.get("time"),
                "state": "ReferralMade",
            }
        elif str(rid) in by_id:
            by_id[str(rid)]["state"] = item["event_type"]
    for r in by_id.values():
        r["state_label"] = REFERRAL_STATES[r["state"]]
        r["agency_name"] = names.get(r["agency"] or "", r["agency"])
        r["programme_name"] = programmes.get(r["programme"] or "", r["programme"])
    return list(by_id.values())


def _care_notes(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assessment and sessions as casework gave them: the notes, or `[rahasia]` for anyone
    but the case's social worker and psychologist (casework decides; nothing here works
    around it)."""
    out = []
    for item in timeline:
        details = item.get("details") or {}
        if item["event_type"] == "AssessmentRecorded":
            out.append(
                {"kind": "Asesmen", "time": item.get("time"), "text": details.get("summary")}
            )
        elif item["event_type"] == "CounsellingSessionRecorded":
            out.append(
                {"kind": "Sesi konseling", "time": item.get("time"), "text": details.get("notes")}
            )
    return out


def document_names(office: Office) -> dict[str, str]:
    """Document type -> its Indonesian name, from the office's catalogue."""
    return {
        d.type: d.name
        for standard in office.services.values()
        for variant in standard.variants.values()
        for d in variant.required_documents
    }


def _lk3(social: dict[str, Any] | None) -> dict[str, Any] | None:
    if social is None:
        return None
    steps = [
        {**s, "done_at": views._parse(s.get("done_at")), "due_at": views._parse(s.get("due_at"))}
        for s in social.get("steps", [])
    ]
    return {**social, "steps": steps}


def _checklist(checklist: dict[str, Any] | None) -> dict[str, Any] | None:
    if checklist is None:
        return None
    received_files = {
        r["type"]: r.get("file") for r in checklist.get("received", []) if r.get("file")
    }
    groups_met = {
        r.get("alternative_group")
        for r in checklist.get("required", [])
        if r.get("received") and r.get("alternative_group")
    }
    required = [
        {
            **r,
            "form_label": FORM_LABELS.get(str(r.get("form")), r.get("form")),
            "upload_form": "copy" if r.get("form") == "either" else r.get("form"),
            "file": received_files.get(r.get("type")),
            # "KTP/KK": one of the alternatives is enough
            "alternative_met": not r.get("received") and r.get("alternative_group") in groups_met,
        }
        for r in checklist.get("required", [])
    ]
    dtks = checklist.get("dtks") or {}
    return {
        **checklist,
        "required": required,
        "dtks_label": DTKS_LABELS.get(str(dtks.get("status")), dtks.get("status")),
    }


def _letter(letter: dict[str, Any]) -> dict[str, Any]:
    return {
        **letter,
        "status_label": LETTER_STATUS_LABELS.get(letter["status"], letter["status"]),
        "current_role_label": ROLE_LABELS.get(Role(letter["current_step"]["role"]))
        if letter.get("current_step")
        else None,
        "chain_labels": [ROLE_LABELS.get(Role(r), r) for r in letter.get("chain", [])],
        "signed_at": views._parse(letter.get("signed_at")),
        "drafted_at": views._parse(letter.get("drafted_at")),
    }


async def case_page(
    services: Services,
    pool: asyncpg.Pool,
    token: str,
    office: Office,
    me: Account,
    case_id: UUID,
    *,
    after: int | None = None,
) -> dict[str, Any]:
    """The case file (`views.case_page`) with every panel the case page shows."""
    case = await views.case_page(services, token, office, case_id, after=after)
    if case.get("stage") in STOPPED_STAGES:  # answered, done or gone: no clock runs
        case.update(clock="none", clock_label="Berhenti", remaining_office_seconds=None)
    standard: ServiceStandard | None = office.services.get(str(case.get("service")))
    social_work = standard is not None and standard.workflow == "social_work"
    want_duplicates = bool(me.roles & case_roles.TRIAGERS)

    async def no_value() -> None:
        return None

    checklist, letters, eligibility, attachments, social, duplicates = await asyncio.gather(
        _maybe(services.documents.checklist(token, case_id)),
        _maybe(services.documents.case_letters(token, case_id)),
        _maybe(services.eligibility.verdict(token, case_id)),
        _maybe(services.documents.attachments(token, case_id)),
        _maybe(services.casework.social_work(token, case_id)) if social_work else no_value(),
        _maybe(services.intake.duplicates(token)) if want_duplicates else no_value(),
    )
    async with pool.acquire() as conn:
        staff = await accounts.of_office(conn, office.id)
    duplicate = next(
        (d for d in (duplicates or {}).get("items", []) if d["case_id"] == str(case_id)), None
    )
    letter_list = [_letter(lt) for lt in (letters or {}).get("letters", [])]
    buttons = case_buttons(
        me.roles,
        me.username,
        case,
        standard,
        letter_list,
        suspected_duplicate=duplicate is not None,
    )
    timeline_oldest_first = list(reversed(case["timeline"]))
    eligibility_view = None
    if eligibility is not None:
        eligibility_view = {
            **eligibility,
            "checked_at": views._parse(eligibility.get("checked_at")),
            "dtks_label": DTKS_LABELS.get(eligibility["dtks"]["status"], ""),
            "dtks_reason": DTKS_NOT_FOUND_LABELS.get(
                str(eligibility["dtks"].get("reason")), eligibility["dtks"].get("reason")
            ),
            "domicile_label": DOMICILE_LABELS.get(eligibility["domicile"]["status"], ""),
        }
    dispositions = [
        {**(i.get("details") or {}), "event_type": i["event_type"], "time": i.get("time")}
        for i in timeline_oldest_first
        if i["event_type"] == "CaseDelegated"
        or (
            i["event_type"] == "CaseAssigned"
            and (i.get("details") or {}).get("kind") == "disposition"
        )
    ]
    return {
        **case,
        "standard": standard,
        "social_work": social_work,
        "checklist": _checklist(checklist),
        "letters": letter_list,
        "eligibility": eligibility_view,
        "attachments": (attachments or {}).get("attachments") if attachments else None,
        "lk3": _lk3(social),
        "care_notes": _care_notes(timeline_oldest_first),
        "referrals": _referrals(timeline_oldest_first, standard),
        "duplicate": duplicate,
        "buttons": buttons,
        "dispositions": dispositions,
        "assign_choices": _choices(staff, ASSIGNABLE),
        "disposition_choices": _choices(staff, buttons.disposition_roles),
        "delegate_choices": _choices(staff, buttons.delegate_roles),
        "psychologists": _choices(staff, (Role.PSYCHOLOGIST,)),
        "agencies": list(standard.agencies) if standard else [],
        "programmes": list(standard.programme_referrals) if standard else [],
        "assignee_name": next(
            (a.name for a in staff if a.username == case.get("assigned_to")), None
        ),
    }


async def approval_inbox(services: Services, token: str, office: Office) -> list[dict[str, Any]]:
    """Letters waiting at my step of the chain, oldest first (documents `GET /v1/letters`)."""
    waiting = await services.documents.letters_waiting(token)
    rows = []
    for letter in waiting["letters"]:
        row = _letter(letter)
        standard = office.services.get(str(letter.get("service")))
        rows.append(
            {
                **row,
                "service_label": standard.name if standard else letter.get("service"),
                "waiting_since": datetime.fromisoformat(letter["waiting_since"]),
            }
        )
    return rows
