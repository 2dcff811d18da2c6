"""One disposition (casework): the head disposes to a role the standard allows, the
disposed official delegates down the line; and a refused domicile stops the LK3 work but
not the forwarding. Pure, no I/O."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.casework.domain import lifecycle, referrals, social_work
from services.casework.domain.commands import (
    AssignCase,
    DelegateCase,
    ForwardCase,
    MakeReferral,
    RecordAssessment,
    Transition,
)
from shared.catalogue import ServiceStandard, load_catalogue
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.events import DomicileRefused, DomicileVerified, LetterDrafted
from shared.contracts.vocab import Channel, Role
from tests.unit.test_casework_lifecycle import Case, refused

CATALOGUE = load_catalogue()
KUPANG = CATALOGUE.service("kupang", "public-complaint").disposition
HEAD = "staff:kpg-kadis"


def disposed_to_kabid() -> Case:
    c = Case(Channel.LETTER)
    c.do(
        lifecycle.dispose,
        AssignCase(assignee="kpg-kabid", role=Role.HEAD_OF_DIVISION, instruction="Jawab."),
        by=HEAD,
        rule=KUPANG,
    )
    return c


def test_the_catalogue_says_where_a_kupang_disposition_may_go_and_who_delegates() -> None:
    assert KUPANG is not None and KUPANG.by is Role.HEAD_OF_OFFICE
    assert KUPANG.roles == (Role.SECRETARY, Role.HEAD_OF_DIVISION, Role.SUB_COORDINATOR)
    assert KUPANG.delegates(Role.HEAD_OF_DIVISION) == (Role.SUB_COORDINATOR,)
    assert KUPANG.delegates(Role.SUB_COORDINATOR) == ()
    # Standards without a disposition have none.
    assert CATALOGUE.service("lumajang", "kks-recommendation").disposition is None


def test_the_head_disposes_to_an_allowed_role_only() -> None:
    c = disposed_to_kabid()
    state = c.state
    assert (state.stage, state.assigned_to, state.assignee_role, state.assignment_kind) == (
        "assigned",
        "kpg-kabid",
        "head_of_division",
        "disposition",
    )
    for role in (Role.OFFICER, Role.SOCIAL_WORKER, Role.FRONT_OFFICE):
        r = refused(
            Case(Channel.LETTER),
            lifecycle.dispose,
            AssignCase(assignee="x", role=role),
            by=HEAD,
            rule=KUPANG,
        )
        assert (r.code, r.status) == ("disposition_role_not_allowed", 422)
        assert r.details["allowed_roles"] == ["secretary", "head_of_division", "sub_coordinator"]
    r = refused(
        Case(Channel.LETTER),
        lifecycle.dispose,
        AssignCase(assignee="x", role=Role.HEAD_OF_DIVISION),
        by=HEAD,
        rule=None,
    )
    assert (r.code, r.status) == ("no_disposition", 422)


def test_the_disposed_official_delegates_down_the_line_once_and_only_they() -> None:
    c = disposed_to_kabid()
    kasubid = DelegateCase(assignee="kpg-kasubid", role=Role.SUB_COORDINATOR, instruction="Susun.")
    r = refused(
        c, lifecycle.delegate, kasubid, staff_id="kpg-other", by="staff:kpg-other", rule=KUPANG
    )
    assert (r.code, r.status) == ("not_assignee", 403)
    upward = DelegateCase(assignee="kpg-sek", role=Role.SECRETARY)
    r = refused(
        c, lifecycle.delegate, upward, staff_id="kpg-kabid", by="staff:kpg-kabid", rule=KUPANG
    )
    assert (r.code, r.status) == ("delegation_role_not_allowed", 422)
    [event] = c.do(
        lifecycle.delegate, kasubid, staff_id="kpg-kabid", by="staff:kpg-kabid", rule=KUPANG
    )
    assert isinstance(event, CaseDelegated)
    assert (event.assignee, event.role, event.from_role) == (
        "kpg-kasubid",
        Role.SUB_COORDINATOR,
        Role.HEAD_OF_DIVISION,
    )
    state = c.state
    assert (state.assigned_to, state.assignee_role, state.assignment_kind) == (
        "kpg-kasubid",
        "sub_coordinator",
        "delegation",
    )
    assert {"kpg-kabid", "kpg-kasubid"} <= set(state.care_team)
    # The Kasubid may delegate to nobody (the standard lists no one below).
    further = DelegateCase(assignee="kpg-staf", role=Role.OFFICER)
    r = refused(
        c, lifecycle.delegate, further, staff_id="kpg-kasubid", by="staff:kpg-kasubid", rule=KUPANG
    )
    assert r.code == "delegation_role_not_allowed" and r.details["allowed_roles"] == []
    # The delegate owns the case: they start work on it.
    c.do(lifecycle.start_work, Transition(), staff_id="kpg-kasubid", by="staff:kpg-kasubid")
    assert c.state.stage == "in_progress"


def test_only_a_disposed_case_is_delegated_and_not_after_its_draft() -> None:
    assigned = Case(Channel.LETTER)
    assigned.do(
        lifecycle.assign, AssignCase(assignee="kpg-kabid", role=Role.HEAD_OF_DIVISION), by=HEAD
    )
    cmd = DelegateCase(assignee="kpg-kasubid", role=Role.SUB_COORDINATOR)
    r = refused(
        assigned, lifecycle.delegate, cmd, staff_id="kpg-kabid", by="staff:kpg-kabid", rule=KUPANG
    )
    assert (r.code, r.status) == ("not_disposed", 409)
    c = disposed_to_kabid()
    c.add(
        [
            LetterDrafted(
                letter_id=uuid4(),
                case_id=c.case_id,
                letter_type="complaint_answer",
                product="written-answer",
                subject="Jawaban",
                body="Isi",
                drafted_by="staff:kpg-kabid",
                chain=(Role.SECRETARY, Role.HEAD_OF_OFFICE),
            )
        ]
    )
    r = refused(c, lifecycle.delegate, cmd, staff_id="kpg-kabid", by="staff:kpg-kabid", rule=KUPANG)
    assert (r.code, r.status) == ("letter_already_drafted", 409)


def lk3_case() -> Case:
    return Case(
        Channel.WALK_IN,
        ticket_number="MTR-2026-000001",
        office="mataram",
        service="lk3-consultation",
        variant="family-counselling",
    )


def refused_domicile(c: Case) -> None:
    c.add(
        [
            DomicileRefused(
                case_id=c.case_id,
                required_region_code="52.71",
                found_region_code="35.08",
                basis="nik_region",
            )
        ]
    )


def test_a_refused_domicile_stops_assignment_and_lk3_work_but_not_forwarding() -> None:
    c = lk3_case()
    refused_domicile(c)
    worker = AssignCase(assignee="mtr-peksos", role=Role.SOCIAL_WORKER)
    for kind in ("assignment", "disposition", "handover"):
        r = refused(c, lifecycle.assign, worker, by="staff:mtr-kabid", kind=kind)
        assert (r.code, r.status) == ("domicile_refused", 409)
        assert r.details == {"action": "assign", "domicile": "refused"}
    # A social worker assigned before eligibility's answer came cannot go on either.
    early = lk3_case()
    early.do(lifecycle.assign, worker, by="staff:mtr-kabid")
    refused_domicile(early)
    r = refused(
        early,
        social_work.record_assessment,
        RecordAssessment(summary="x"),
        staff_id="mtr-peksos",
        by="staff:mtr-peksos",
    )
    assert r.code == "domicile_refused"
    r = refused(
        early,
        referrals.refer,
        MakeReferral(agency="uptd-ppa", reason="x"),
        referral_id=uuid4(),
        by="staff:mtr-peksos",
        known_agencies=None,
    )
    assert r.code == "domicile_refused"
    c.do(
        lifecycle.forward,
        ForwardCase(forwarded_to="dinsos-lumajang", reason="Domisili di luar Kota Mataram."),
        by="staff:mtr-desk",
    )
    assert (c.state.stage, c.state.forwarded_to) == ("forwarded", "dinsos-lumajang")


def test_a_domicile_verified_after_a_recheck_opens_the_work_again() -> None:
    c = lk3_case()
    refused_domicile(c)
    c.add([DomicileVerified(case_id=c.case_id, region_code="52.71", basis="nik_region")])
    c.do(
        lifecycle.assign,
        AssignCase(assignee="mtr-peksos", role=Role.SOCIAL_WORKER),
        by="staff:mtr-kabid",
    )
    assert c.state.stage == "assigned"


def test_a_chain_that_starts_with_a_disposition_needs_the_standard_s_disposition() -> None:
    data = CATALOGUE.service("kupang", "public-complaint").model_dump(mode="json")
    data["disposition"] = None
    with pytest.raises(ValidationError, match="needs a `disposition`"):
        ServiceStandard.model_validate(data)
