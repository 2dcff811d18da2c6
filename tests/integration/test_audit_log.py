"""The audit log (issue 16, point 6), over eligibility's HTTP API on the real PostgreSQL
(every service has the same table and API, `shared/audit.py`): reads of personal data and
refusals by staff are logged with who, what, when and why; only an auditor reads the log; UPDATE and
DELETE are refused; a row deleted behind the triggers' back (as the superuser) is found by
the verification, which names where the chain breaks."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from services.eligibility.bootstrap import create_app
from shared.audit import nik_subject
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.integration.test_casework_api import caught_up
from tests.integration.test_eligibility_checks import checked, register
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

NIK = "3508010303800181"  # synthetic
MEMBER: dict[str, Any] = {
    "nik": NIK,
    "kk_number": "3508010101100181",
    "name": "Warga Audit Uji",
    "region_code": "35.08.01.2001",
    "snapshot_date": "2025-09-30",
}
DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-audit")
AUDITOR = auth("lumajang", Role.AUDITOR, staff_id="lmj-auditor")
MATARAM = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo-audit")


async def test_reads_and_refusals_are_logged_and_the_chain_shows_a_removed_row(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    app = create_app(settings, demo_data=False)
    async with running(app) as client:
        r = await client.post(
            "/v1/registry/members",
            json={"members": [MEMBER]},
            headers=auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg"),
        )
        assert r.status_code == 200
        env = await register(pool, office="lumajang", service="kks-recommendation", nik=NIK)
        case_id = env.case_id
        assert case_id is not None
        # The store's catch-up, as the other eligibility tests (no relay publishes here).
        await caught_up(app.state.runtime, lambda: checked(pool, case_id))

        # A lookup with its purpose, a case read, a cross-office refusal, no token at all.
        why = {"purpose": "citizen at the desk"}
        assert (
            await client.get(f"/v1/registry/persons/{NIK}", params=why, headers=DESK)
        ).status_code == 200
        assert (
            await client.get(f"/v1/cases/{case_id}/eligibility", headers=DESK)
        ).status_code == 200
        # A purpose with a NUL (PostgreSQL cannot store it): the row is kept all the same.
        odd = {"purpose": "desk\x00visit"}
        assert (
            await client.get(f"/v1/registry/persons/{NIK}", params=odd, headers=DESK)
        ).status_code == 200
        refused = await client.get(f"/v1/cases/{case_id}/eligibility", headers=MATARAM)
        assert refused.status_code == 403
        assert (await client.get(f"/v1/cases/{case_id}/eligibility")).status_code == 401

        # Only an auditor reads the log.
        r = await client.get("/v1/audit", headers=DESK)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
        r = await client.get("/v1/audit", headers=AUDITOR)
        assert r.status_code == 200, r.text
        rows = r.json()["items"]
        seen = [(x["actor"], x["action"], x["subject"], x["outcome"]) for x in rows]
        assert ("staff:lmj-fo-audit", "registry_lookup", nik_subject(NIK), "allowed") in seen
        assert NIK not in r.text  # the NIK is named by its keyed hash only
        lookup = next(x for x in rows if x["action"] == "registry_lookup")
        assert lookup["purpose"] == "citizen at the desk"
        assert lookup["roles"] == ["front_office"] and lookup["at"]
        assert ("staff:lmj-fo-audit", "read_eligibility", f"case:{case_id}", "allowed") in seen
        # Mataram's refused attempt on Lumajang's case is Lumajang's auditor's to see.
        crossed = next(x for x in rows if x["actor"] == "staff:mtr-fo-audit")
        assert crossed["outcome"] == "refused:wrong_office" and crossed["office"] == "lumajang"
        assert crossed["actor_office"] == "mataram"
        r = await client.get("/v1/audit", params={"nik": NIK}, headers=AUDITOR)
        lookups = r.json()["items"]
        assert [x["action"] for x in lookups] == ["registry_lookup", "registry_lookup"]
        assert lookups[1]["purpose"] == "desk\ufffdvisit"

        async with pool.acquire() as conn:
            # Without a token nobody read anything: the structured log has it, the chain not.
            assert not await conn.fetchval(
                "SELECT count(*) FROM eligibility.audit_log WHERE actor = 'unauthenticated'"
            )
            # Append-only, for the superuser too while the triggers stand.
            for statement in (
                "UPDATE eligibility.audit_log SET purpose = 'x'",
                "DELETE FROM eligibility.audit_log",
                "TRUNCATE eligibility.audit_log",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)

        r = await client.get("/v1/audit/verify", headers=AUDITOR)
        assert r.json()["intact"] is True and r.json()["rows"] >= 5

        # The superuser removes a row behind the triggers' back: the chain names the gap.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("DELETE FROM eligibility.audit_log WHERE position = 3")
        r = await client.get("/v1/audit/verify", headers=AUDITOR)
        verdict = r.json()
        assert (verdict["intact"], verdict["broken_at"]) == (False, 3), verdict
        assert "missing" in verdict["reason"]

        # A row rewritten (and the rows after it re-linked) is found too.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(
                "UPDATE eligibility.audit_log SET position = position - 1 WHERE position > 3"
            )
            await conn.execute(
                "UPDATE eligibility.audit_log SET purpose = 'rewritten' WHERE position = 1"
            )
        verdict = (await client.get("/v1/audit/verify", headers=AUDITOR)).json()
        assert (verdict["intact"], verdict["broken_at"]) == (False, 1), verdict
        assert "changed" in verdict["reason"]
