"""Seeds 002 (Lumajang KKS reset-PIN letter) and 004 (Mataram LK3) end to end, through
five real service processes, a real broker and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from shared.auth import mint_token
from shared.contracts.vocab import Role
from shared.devstack import Stack
from shared.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

# Synthetic people: structurally valid NIKs, obviously invented names.
LUMAJANG_NIK = "3508014101900007"  # Lumajang 35.08.01, a woman born 01-01-1990
LUMAJANG_KK = "3508010101100007"  # 35.08.01, issued 01-01-2010, serial 0007
MATARAM_NIK = "5271010202850003"  # Kota Mataram 52.71.01


def h(office: str, *roles: Role, staff: str = "staff") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(staff, office, roles)}"}


def wait_for(fn: Any, timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: last={last!r}")


def case_view(client: httpx.Client, stack: Stack, case_id: str, office: str) -> dict[str, Any]:
    r = client.get(
        f"{stack.url('casework')}/v1/cases/{case_id}", headers=h(office, Role.FRONT_OFFICE)
    )
    return r.json() if r.status_code == 200 else {}


def types_of(view: dict[str, Any]) -> list[str]:
    return [e["event_type"] for e in view.get("timeline", [])]


def test_lumajang_kks_reset_pin_letter_end_to_end(stack: Stack) -> None:
    admin = h("lumajang", Role.REGISTRY_ADMIN)
    desk = h("lumajang", Role.FRONT_OFFICE, staff="lmj-desk")
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('eligibility')}/v1/registry/members",
            headers=admin,
            json={
                "members": [
                    {
                        "nik": LUMAJANG_NIK,
                        "kk_number": LUMAJANG_KK,
                        "name": "Warga Contoh Satu",
                        "region_code": "35.08.01.2001",
                        "decile": 2,
                        "programmes": ["BPNT", "PKH"],
                        "snapshot_date": "2026-10-01",
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text

        # 1. The citizen walks in; the front office registers the request.
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": "lumajang",
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {
                    "name": "Warga Contoh Satu",
                    "nik": LUMAJANG_NIK,
                    "phone": "081200000007",
                },
                "description": "PIN KKS terblokir, mohon surat rekomendasi reset PIN.",
                "documents_declared": ["ktp", "kks"],
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        assert r.json()["ticket_number"].startswith("LMJ-")

        # 2. Eligibility verifies DTKS; documents opens the checklist.
        docs = stack.url("documents")
        checklist = wait_for(
            lambda: (
                (x := c.get(f"{docs}/v1/cases/{case_id}/checklist", headers=desk)).status_code
                == 200
                and x.json()
            ),
            what="checklist",
        )
        required = [d["type"] if isinstance(d, dict) else d for d in checklist["required"]]
        for doc in required:
            r = c.post(
                f"{docs}/v1/cases/{case_id}/documents",
                headers=desk,
                json={"document_type": doc, "form": "original" if doc == "kks" else "copy"},
            )
            assert r.status_code in (200, 201), r.text
        wait_for(
            lambda: "DtksVerified" in types_of(case_view(c, stack, case_id, "lumajang")),
            what="DtksVerified in the case timeline",
        )

        # 3. The officer drafts; sub-coordinator and Kabid approve; the secretary signs.
        officer = h("lumajang", Role.OFFICER, staff="lmj-officer")
        r = wait_for(
            lambda: (
                (
                    x := c.post(f"{docs}/v1/cases/{case_id}/letters", headers=officer, json={})
                ).status_code
                == 201
                and x
            ),
            what="letter drafted",
        )
        letter_id = r.json()["letter_id"]

        # The wrong role is refused with a reason, before and after its turn.
        r = c.post(
            f"{docs}/v1/letters/{letter_id}/sign",
            headers=h("lumajang", Role.HEAD_OF_DIVISION, staff="lmj-kabid"),
            json={},
        )
        assert r.status_code in (403, 409), r.text
        assert r.json()["error"]["code"]

        for role, staff in [
            (Role.SUB_COORDINATOR, "lmj-subkoor"),
            (Role.HEAD_OF_DIVISION, "lmj-kabid"),
        ]:
            r = c.post(
                f"{docs}/v1/letters/{letter_id}/approve",
                headers=h("lumajang", role, staff=staff),
                json={"comment": "Sudah sesuai."},
            )
            assert r.status_code == 200, r.text
        r = c.post(
            f"{docs}/v1/letters/{letter_id}/sign",
            headers=h("lumajang", Role.SECRETARY, staff="lmj-sekdin"),
            json={},
        )
        assert r.status_code == 200, r.text

        # 4. Casework folds it all and resolves the case; the citizen is told. They came to
        # the desk: no machine sends to them, the front office calls them back (a task on
        # notifications' call-back list) and says so.
        notes = stack.url("notifications")

        def call_backs() -> list[Any]:
            r = c.get(f"{notes}/v1/tasks", params={"kind": "call_back"}, headers=desk)
            assert r.status_code == 200, r.text
            return [t for t in r.json()["tasks"] if t["case_id"] == case_id]

        for task in wait_for(call_backs, what="a call-back task for the case"):
            r = c.post(
                f"{notes}/v1/tasks/{task['notification_id']}/done",
                headers=desk,
                json={"how": "telephone_call"},
            )
            assert r.status_code == 200, r.text
        view = wait_for(
            lambda: (
                (v := case_view(c, stack, case_id, "lumajang")).get("status") == "resolved"
                and "NotificationDelivered" in types_of(v)
                and v
            ),
            what="resolved case",
        )
        timeline = types_of(view)
        for expected in [
            "ComplaintRegistered",
            "DtksVerified",
            "DocumentReceived",
            "RequirementsCompleted",
            "LetterDrafted",
            "LetterReviewed",
            "LetterApproved",
            "LetterSigned",
            "CaseResolved",
            "NotificationDelivered",
        ]:
            assert expected in timeline, f"{expected} missing from {timeline}"
        assert timeline.index("LetterApproved") < timeline.index("LetterSigned")
        assert timeline.count("LetterReviewed") == 2
        assert timeline.count("CaseResolved") == 1

        def signed_message() -> bool:
            notes = c.get(
                f"{stack.url('notifications')}/v1/cases/{case_id}/notifications", headers=desk
            )
            assert notes.status_code == 200, notes.text
            return any("ditandatangani" in str(m) for m in notes.json()["messages"])

        wait_for(signed_message, what="the citizen told the letter is signed")

        # Another office cannot read this case.
        r = c.get(
            f"{stack.url('casework')}/v1/cases/{case_id}", headers=h("mataram", Role.FRONT_OFFICE)
        )
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "wrong_office"


def test_mataram_lk3_referral_end_to_end(stack: Stack) -> None:
    desk = h("mataram", Role.FRONT_OFFICE, staff="mtr-desk")
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": "mataram",
                "service": "lk3-consultation",
                "channel": "walk_in",
                "applicant": {"name": "Warga Contoh Dua", "nik": MATARAM_NIK},
                "description": "Konsultasi keluarga.",
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        cw = stack.url("casework")
        wait_for(
            lambda: "DomicileVerified" in types_of(case_view(c, stack, case_id, "mataram")),
            what="domicile verified",
        )
        r = c.post(
            f"{cw}/v1/cases/{case_id}/assign",
            headers=h("mataram", Role.HEAD_OF_DIVISION, staff="mtr-kabid"),
            json={"assignee": "mtr-peksos", "role": "social_worker"},
        )
        assert r.status_code in (200, 201), r.text
        sw = h("mataram", Role.SOCIAL_WORKER, staff="mtr-peksos")
        r = c.post(
            f"{cw}/v1/cases/{case_id}/assessment",
            headers=sw,
            json={"summary": "Asesmen awal (data uji)."},
        )
        assert r.status_code in (200, 201), r.text
        r = c.post(
            f"{cw}/v1/cases/{case_id}/referrals",
            headers=sw,
            json={"agency": "psikolog-lk3", "reason": "Konseling keluarga lanjutan."},
        )
        assert r.status_code in (200, 201), r.text
        view = wait_for(
            lambda: "ReferralMade" in types_of(v := case_view(c, stack, case_id, "mataram")) and v,
            what="ReferralMade",
        )
        assert types_of(view).index("CaseAssigned") < types_of(view).index("ReferralMade")


def test_bad_input_is_refused_with_a_reason_and_kept(stack: Stack) -> None:
    desk = h("lumajang", Role.FRONT_OFFICE)
    url = f"{stack.url('intake')}/v1/requests"
    good = {
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": "walk_in",
        "applicant": {"name": "Warga Contoh", "nik": LUMAJANG_NIK},
    }
    cases = [
        ("{not json", None),
        (None, {**good, "office": "atlantis"}),
        (None, {**good, "service": "no-such-service"}),
        (None, {**good, "channel": "pigeon"}),
        (None, {**good, "applicant": {"name": "X", "nik": "12345"}}),
    ]
    with httpx.Client(timeout=10) as c:
        for raw, body in cases:
            if raw is not None:
                r = c.post(url, content=raw, headers={**desk, "content-type": "application/json"})
            else:
                r = c.post(url, json=body, headers=desk)
            assert 400 <= r.status_code < 500, (raw or body, r.status_code, r.text)
            assert r.json()["error"]["code"], r.text


def test_rebuild_gives_the_same_case_views(stack: Stack) -> None:
    """Run after the slices: casework's rebuild command equals the live views."""
    import asyncpg

    dsn = stack.infra.database_url

    async def snapshot() -> tuple[int, list[Any], list[Any]]:
        conn = await asyncpg.connect(dsn)
        try:
            head = await conn.fetchval("SELECT max(global_position) FROM eventstore.events")
            cases = [tuple(r) for r in await conn.fetch("SELECT * FROM casework.cases ORDER BY 1")]
            timeline = [
                tuple(r)
                for r in await conn.fetch("SELECT * FROM casework.case_timeline ORDER BY 1, 2, 3")
            ]
            return int(head or 0), cases, timeline
        finally:
            await conn.close()

    def settled() -> tuple[int, list[Any], list[Any]]:
        """The views once nothing moves for a second (deliveries still retrying on the
        shared stack append facts casework folds)."""
        last = asyncio.run(snapshot())
        for _ in range(60):
            time.sleep(1.0)
            now = asyncio.run(snapshot())
            if now == last:
                return now
            last = now
        return last

    env = {**os.environ, "DATABASE_URL": dsn, "SLRT_LOG_FORMAT": "json"}
    for _attempt in range(3):
        before = settled()
        assert before[1], "no cases to compare"
        done = subprocess.run(
            [sys.executable, "-m", "services.casework", "rebuild"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
        after = asyncio.run(snapshot())
        if after[0] == before[0]:
            break  # nothing was appended meanwhile: the two must be the same
    assert after == before
