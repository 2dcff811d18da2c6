"""A refused domicile stops the LK3 work (issue 12, point 6), over the five real
processes: Mataram's LK3 serves residents of Kota Mataram; once eligibility recorded a
non-resident's domicile as refused, casework refuses to assign a social worker (409
`domicile_refused`), while staff can still forward the case to the office that serves
the citizen.
"""

from __future__ import annotations

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import cw, timeline_has, wait_status
from tests.e2e.test_slices import h, types_of

pytestmark = pytest.mark.e2e

OFFICE = "mataram"
NON_RESIDENT_NIK = "3508010202850098"  # synthetic; Kabupaten Lumajang (35.08)


def test_a_non_resident_lk3_case_cannot_be_assigned_but_can_be_forwarded(stack: Stack) -> None:
    desk = h(OFFICE, Role.FRONT_OFFICE, staff="mtr-desk")
    kabid = h(OFFICE, Role.HEAD_OF_DIVISION, staff="mtr-kabid")
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": OFFICE,
                "service": "lk3-consultation",
                "channel": "walk_in",
                "applicant": {"name": "Warga Luar Kota Uji", "nik": NON_RESIDENT_NIK},
                "description": "Konsultasi keluarga (data uji).",
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        view = timeline_has(c, stack, case_id, OFFICE, "DomicileRefused")
        assert "DomicileVerified" not in types_of(view)

        refused = cw(
            c,
            stack,
            case_id,
            "assign",
            kabid,
            {"assignee": "mtr-peksos", "role": "social_worker"},
            expect=(409,),
        )
        error = refused["error"]
        assert error["code"] == "domicile_refused", error
        assert error["details"] == {"action": "assign", "domicile": "refused"}
        assert "CaseAssigned" not in types_of(timeline_has(c, stack, case_id, OFFICE))

        # Staff can still send it where the citizen lives.
        cw(
            c,
            stack,
            case_id,
            "forward",
            desk,
            {"forwarded_to": "dinsos-lumajang", "reason": "Domisili di luar Kota Mataram."},
        )
        view = wait_status(c, stack, case_id, OFFICE, "forwarded")
        assert "CaseForwarded" in types_of(view)
