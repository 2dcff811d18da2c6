"""Inputs the staff web app's fuzzing found answered with a 500 (issue 16, point 10), each
now refused with a 4xx page, on the real database: a report month a date cannot hold."""

from __future__ import annotations

import re

import pytest

from services.dashboard.bootstrap import create_app
from services.dashboard.config import DashboardSettings
from services.dashboard.service_layer import manage_staff
from services.dashboard.service_layer.manage_staff import AccountForm
from shared.settings import Settings
from tests.servicekit import running

pytestmark = pytest.mark.integration

PASSWORD = "kata-sandi-ganjil-123"


async def test_a_report_month_no_date_can_hold_is_refused(settings: Settings) -> None:
    app = create_app(DashboardSettings(**settings.model_dump()))
    async with running(app) as client:
        d = app.state.dashboard
        await manage_staff.create_account(
            d.pool,
            d.catalogue,
            None,
            username="lmj-kadis",
            password=PASSWORD,
            form=AccountForm(office="lumajang", name="Kadis", roles=["head_of_office"]),
        )
        page = await client.get("/masuk")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found
        form = {"username": "lmj-kadis", "password": PASSWORD, "csrf_token": found.group(1)}
        assert (await client.post("/masuk", data=form)).status_code == 303

        # Year 0 and 9999 (the report reads a year back and a month ahead), and digits
        # that are not ASCII: 422, where they were 500 (a date out of range).
        for month in ("0000-01", "0001-06", "9999-12", "\u0662\u0660\u0662\u0666-01"):
            for path in ("/kantor/laporan", "/kantor/laporan.pdf"):
                r = await client.get(path, params={"bulan": month})
                assert r.status_code == 422, (path, month, r.status_code)
