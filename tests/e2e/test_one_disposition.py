"""One disposition (issue 12, point 2), over the five real processes: Kupang's head of
office disposes a complaint letter ONCE, in casework, to an official in a role the
catalogue's `disposition` allows (the Sekretariat, a Kabid or a Kasubid); that official
drafts the written answer or delegates it down the line (casework, `CaseDelegated`);
documents follows both from the events, so the official the head (or the delegation)
named drafts, whatever their role among the allowed ones, and nobody else does.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import (
    bring_documents,
    cw,
    decided,
    draft_until_created,
    run_chain,
    timeline_has,
    wait_status,
)
from tests.e2e.test_slices import case_view, h

pytestmark = pytest.mark.e2e

OFFICE = "kupang"
HEAD = h(OFFICE, Role.HEAD_OF_OFFICE, staff="kpg-kadis")
ANSWER = {"text": "Bantuan Saudara akan disalurkan pada tahap berikutnya (data uji)."}


def _uid() -> str:
    return uuid.uuid4().hex[:8]


def kupang_letter_case(c: httpx.Client, stack: Stack) -> str:
    """A complaint letter to the head, registered, with every document checked in."""
    desk = h(OFFICE, Role.FRONT_OFFICE, Role.RECEPTIONIST, staff="kpg-desk")
    details = {
        "office": OFFICE,
        "letter_number": f"005/{_uid()}/XI/2026",
        "sender": {"name": "Warga Uji Disposisi", "phone": "081200000071"},
        "service": "public-complaint",
        "subject": "Pengaduan bantuan sosial",
        "summary": "Bantuan sembako kami belum diterima, mohon penjelasan (data uji).",
    }
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = c.post(
        f"{stack.url('intake')}/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("surat.pdf", pdf, "application/pdf")},
        headers=desk,
    )
    assert r.status_code == 202, r.text
    row = decided(c, stack, OFFICE, r.json()["inbound_ids"][0])
    assert row["status"] == "accepted", row
    case_id: str = row["case_id"]
    timeline_has(c, stack, case_id, OFFICE, "ComplaintRegistered")
    bring_documents(c, stack, case_id, OFFICE)
    return case_id


def draft_refused(
    c: httpx.Client, stack: Stack, case_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    r = c.post(f"{stack.url('documents')}/v1/cases/{case_id}/letters", headers=headers, json=ANSWER)
    assert r.status_code == 403, r.text
    error: dict[str, Any] = r.json()["error"]
    return error


def test_the_head_disposes_to_a_kabid_who_drafts_and_the_letter_is_signed(stack: Stack) -> None:
    kabid_id = f"kpg-kabid-{_uid()}"
    kabid = h(OFFICE, Role.HEAD_OF_DIVISION, staff=kabid_id)
    with httpx.Client(timeout=10) as c:
        case_id = kupang_letter_case(c, stack)
        cw(
            c,
            stack,
            case_id,
            "disposition",
            HEAD,
            {"assignee": kabid_id, "role": "head_of_division", "instruction": "Mohon dijawab."},
        )
        cw(c, stack, case_id, "start", kabid, {})
        # The Kabid the head chose drafts (documents learns it from casework's event).
        letter = draft_until_created(c, stack, case_id, kabid, ANSWER)
        assert letter["drafted_by"] == f"staff:{kabid_id}"
        # Up the line above the Kabid: the secretary corrects, the head signs.
        assert letter["chain"] == ["secretary", "head_of_office"], letter["chain"]
        # A third person, even in the chain's default drafting role, may not draft.
        other = h(OFFICE, Role.SUB_COORDINATOR, staff=f"kpg-kasubid-{_uid()}")
        error = draft_refused(c, stack, case_id, other)
        assert error["code"] == "not_assigned" and error["details"]["assignee"] == kabid_id
        signed = run_chain(
            c, stack, OFFICE, letter["letter_id"], [Role.SECRETARY], Role.HEAD_OF_OFFICE
        )
        assert signed["letter_number"] and signed["status"] == "signed"
        view = timeline_has(c, stack, case_id, OFFICE, "LetterSigned")
        assignments = [e for e in view["timeline"] if e["event_type"] == "CaseAssigned"]
        assert len(assignments) == 1  # one disposition, nothing recorded twice
        assert "LetterDraftingAssigned" not in {e["event_type"] for e in view["timeline"]}
        wait_status(c, stack, case_id, OFFICE, "resolved")


def test_a_kabid_delegates_to_a_kasubid_who_drafts(stack: Stack) -> None:
    kabid_id, kasubid_id = f"kpg-kabid-{_uid()}", f"kpg-kasubid-{_uid()}"
    kabid = h(OFFICE, Role.HEAD_OF_DIVISION, staff=kabid_id)
    kasubid = h(OFFICE, Role.SUB_COORDINATOR, staff=kasubid_id)
    with httpx.Client(timeout=10) as c:
        case_id = kupang_letter_case(c, stack)
        cw(
            c,
            stack,
            case_id,
            "disposition",
            HEAD,
            {"assignee": kabid_id, "role": "head_of_division", "instruction": "Tindak lanjuti."},
        )
        # Only down the line the standard allows, and only by the disposed Kabid.
        refused = cw(
            c,
            stack,
            case_id,
            "delegate",
            kasubid,
            {"assignee": kasubid_id, "role": "sub_coordinator"},
            expect=(403,),
        )
        assert refused["error"]["code"] == "not_assignee"
        refused = cw(
            c,
            stack,
            case_id,
            "delegate",
            kabid,
            {"assignee": "kpg-sekdis", "role": "secretary"},
            expect=(422,),
        )
        assert refused["error"]["code"] == "delegation_role_not_allowed"
        cw(
            c,
            stack,
            case_id,
            "delegate",
            kabid,
            {"assignee": kasubid_id, "role": "sub_coordinator", "instruction": "Susun jawaban."},
        )
        view = timeline_has(c, stack, case_id, OFFICE, "CaseDelegated")
        assert (view["assigned_to"], view["assignee_role"]) == (kasubid_id, "sub_coordinator")
        letter = draft_until_created(c, stack, case_id, kasubid, ANSWER)
        assert letter["drafted_by"] == f"staff:{kasubid_id}"
        assert letter["chain"] == ["head_of_division", "secretary", "head_of_office"]
        # The Kabid handed it on: no longer theirs to draft.
        assert draft_refused(c, stack, case_id, kabid)["code"] == "not_assigned"
        signed = run_chain(
            c,
            stack,
            OFFICE,
            letter["letter_id"],
            [Role.HEAD_OF_DIVISION, Role.SECRETARY],
            Role.HEAD_OF_OFFICE,
        )
        assert signed["status"] == "signed"


def test_a_disposition_to_a_role_kupang_does_not_allow_is_refused(stack: Stack) -> None:
    with httpx.Client(timeout=10) as c:
        case_id = kupang_letter_case(c, stack)
        for role in ("officer", "social_worker", "front_office"):
            refused = cw(
                c,
                stack,
                case_id,
                "disposition",
                HEAD,
                {"assignee": f"kpg-{role}", "role": role},
                expect=(422,),
            )
            error = refused["error"]
            assert error["code"] == "disposition_role_not_allowed", error
            assert error["details"]["allowed_roles"] == [
                "secretary",
                "head_of_division",
                "sub_coordinator",
            ]
        # Only the head disposes.
        refused = cw(
            c,
            stack,
            case_id,
            "disposition",
            h(OFFICE, Role.SECRETARY, staff="kpg-sekdis"),
            {"assignee": "kpg-sekdis", "role": "secretary"},
            expect=(403,),
        )
        assert refused["error"]["code"] == "wrong_role"
        # Documents no longer takes a disposition of its own.
        r = c.post(
            f"{stack.url('documents')}/v1/cases/{case_id}/disposition",
            headers=HEAD,
            json={"assignee": "kpg-official"},
        )
        assert r.status_code in (404, 405), r.text
        view = case_view(c, stack, case_id, OFFICE)
        assert view["stage"] == "registered" and view["assigned_to"] is None
