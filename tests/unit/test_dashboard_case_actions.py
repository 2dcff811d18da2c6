"""Which buttons the case page shows (derived from roles, the case's stage and the
letter's step), checked against the seed catalogue."""

from __future__ import annotations

from typing import Any

from services.dashboard.domain.case_actions import case_buttons, letter_buttons
from shared.catalogue import load_catalogue
from shared.contracts.vocab import Role
from shared.settings import REPO_ROOT

CATALOGUE = load_catalogue(REPO_ROOT / "catalogue")
KUPANG = CATALOGUE.offices["kupang"].services["public-complaint"]
LUMAJANG = CATALOGUE.offices["lumajang"].services["kks-recommendation"]
LK3 = CATALOGUE.offices["mataram"].services["lk3-consultation"]
PARIAMAN = CATALOGUE.offices["pariaman"].services["dtks-certificate"]


def case(stage: str, **more: Any) -> dict[str, Any]:
    return {"stage": stage, "assigned_to": None, "assignee_role": None, **more}


def letter(status: str, role: str | None, action: str = "approve", **more: Any) -> dict[str, Any]:
    step = {"step": 1, "role": role, "action": action} if role else None
    return {"letter_id": "L1", "status": status, "current_step": step, **more}


def test_only_the_head_disposes_a_kupang_letter_and_only_to_the_catalogues_roles() -> None:
    head = case_buttons(
        {Role.HEAD_OF_OFFICE}, "kadis", case("registered", channel="letter"), KUPANG
    )
    assert head.can("disposition")
    assert head.disposition_roles == (
        Role.SECRETARY,
        Role.HEAD_OF_DIVISION,
        Role.SUB_COORDINATOR,
    )
    kabid = case_buttons({Role.HEAD_OF_DIVISION}, "kabid", case("registered"), KUPANG)
    assert not kabid.can("disposition")
    # The disposed Kabid: starts, drafts (the disposition names them), may delegate down.
    disposed = case(
        "assigned", channel="letter", assigned_to="kabid", assignee_role="head_of_division"
    )
    kabid = case_buttons({Role.HEAD_OF_DIVISION}, "kabid", disposed, KUPANG)
    assert kabid.can("start") and kabid.can("delegate") and kabid.draft
    assert kabid.delegate_roles == (Role.SUB_COORDINATOR,)
    other = case_buttons({Role.SUB_COORDINATOR}, "kasubid", disposed, KUPANG)
    assert not other.draft and not other.can("start") and not other.can("delegate")


def test_lumajang_officer_drafts_once_and_the_chain_shows_each_their_step() -> None:
    officer = case_buttons({Role.OFFICER}, "petugas", case("front_office"), LUMAJANG)
    assert officer.draft and not officer.can("disposition")
    in_review = letter("in_review", "sub_coordinator", drafted_by="staff:petugas")
    officer = case_buttons({Role.OFFICER}, "petugas", case("in_progress"), LUMAJANG, [in_review])
    assert not officer.draft  # one letter in progress per case
    assert not officer.letters["L1"].review
    sub = letter_buttons(frozenset({Role.SUB_COORDINATOR}), "sub", in_review)
    assert sub.approve and not sub.sign
    kabid = letter_buttons(frozenset({Role.HEAD_OF_DIVISION}), "kabid", in_review)
    assert not kabid.review
    to_sign = letter("approved", "secretary", "sign")
    assert letter_buttons(frozenset({Role.SECRETARY}), "sek", to_sign).sign
    returned = letter("returned", None, drafted_by="staff:petugas")
    assert letter_buttons(frozenset({Role.OFFICER}), "petugas", returned).resubmit
    assert not letter_buttons(frozenset({Role.OFFICER}), "lain", returned).resubmit
    signed = letter("signed", None, issued=None)
    desk = letter_buttons(frozenset({Role.FRONT_OFFICE}), "desk", signed)
    assert desk.issue and desk.pdf and not desk.review


def test_lk3_steps_by_role_and_owner_and_by_stage() -> None:
    desk = case_buttons({Role.FRONT_OFFICE}, "desk", case("registered"), LK3)
    assert desk.can("social-work/identity") and desk.can("assign")
    assert not desk.can("assessment")
    assigned = case("assigned", assigned_to="peksos", assignee_role="social_worker")
    sw = case_buttons({Role.SOCIAL_WORKER}, "peksos", assigned, LK3)
    assert sw.can("assessment") and not sw.can("social-work/consultation")
    other_sw = case_buttons({Role.SOCIAL_WORKER}, "lain", assigned, LK3)
    assert not other_sw.can("assessment")
    working = {**assigned, "stage": "in_progress"}
    assert case_buttons({Role.SOCIAL_WORKER}, "peksos", working, LK3).can(
        "social-work/consultation"
    )
    psy = case_buttons({Role.PSYCHOLOGIST}, "psi", working, LK3)
    assert psy.can("social-work/counselling") and not psy.can("referrals")
    # Not social work: no LK3 buttons at all.
    officer = case_buttons({Role.SOCIAL_WORKER}, "x", case("in_progress"), LUMAJANG)
    assert not officer.can("assessment") and not officer.can("social-work/counselling")


def test_the_stage_decides_pause_resume_close_reopen() -> None:
    roles = {Role.FRONT_OFFICE}
    working = case_buttons(roles, "d", case("in_progress"), LUMAJANG)
    assert working.can("pause") and not working.can("resume") and not working.can("close")
    paused = case_buttons(roles, "d", case("waiting_for_citizen"), LUMAJANG)
    assert paused.can("resume") and not paused.can("pause")
    resolved = case_buttons(roles, "d", case("resolved"), LUMAJANG)
    assert resolved.can("close") and resolved.can("reopen") and not resolved.documents
    assert case_buttons(roles, "d", case("closed"), LUMAJANG).general == {"reopen"}
    # A receptionist works no case; a duplicate is decided by the triage roles only.
    assert not case_buttons({Role.RECEPTIONIST}, "r", case("in_progress"), LUMAJANG).general
    dup = case_buttons(roles, "d", case("registered"), LUMAJANG, suspected_duplicate=True)
    assert dup.duplicate
    assert not case_buttons(
        {Role.SECRETARY}, "s", case("registered"), LUMAJANG, suspected_duplicate=True
    ).duplicate


def test_pariaman_offers_the_programme_referral_after_the_signed_certificate() -> None:
    """Pariaman's steps 8-9 refer the citizen to a programme after the certificate: the
    referral panel stays on a case its signed certificate resolved, until it is closed;
    Lumajang's letter ends its service."""
    signed = [letter("signed", None)]
    desk = {Role.FRONT_OFFICE}
    assert case_buttons(desk, "fo", case("resolved"), PARIAMAN, signed).can("referrals")
    assert not case_buttons(desk, "fo", case("closed"), PARIAMAN, signed).can("referrals")
    assert not case_buttons(desk, "fo", case("resolved"), PARIAMAN, []).can("referrals")
    assert not case_buttons(desk, "fo", case("resolved"), LUMAJANG, signed).can("referrals")
    assert not case_buttons({Role.ANALYST}, "an", case("resolved"), PARIAMAN, signed).can(
        "referrals"
    )


def test_a_case_not_eligible_is_not_offered_the_back_office() -> None:
    """Mataram's Sembako goes to the back office only for a DTKS household: casework
    refuses the hand-over (409 not_eligible), so the desk is not offered it."""
    sembako = CATALOGUE.offices["mataram"].services["sembako-complaint"]
    listed = case_buttons({Role.FRONT_OFFICE}, "desk", case("front_office"), sembako)
    assert listed.can("back-office")
    refused = case("front_office", status="not_eligible")
    desk = case_buttons({Role.FRONT_OFFICE}, "desk", refused, sembako)
    assert not desk.can("back-office")
    assert desk.can("forward") and desk.recheck


def test_lumajangs_officer_takes_the_request_in_from_their_queue() -> None:
    """Lumajang's standard has no front office: the "petugas pelayanan" checks the
    documents and drafts, and the case waits in the officer's queue, so they take it up."""
    officer = case_buttons({Role.OFFICER}, "petugas", case("registered"), LUMAJANG)
    assert officer.can("take-up")
