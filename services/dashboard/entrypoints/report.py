"""The office's monthly report (`/kantor/laporan?bulan=2026-10`, and `.pdf`) for the head of
office and the Kabid: the same report as `slrt report`, for the signed-in person's own
office. Read through the dashboard's own database connection, and only the `analytics`
views (analytics/report.py reads nothing else): no other service is imported or called."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from analytics.report import (
    MONTH_PATTERN,
    MonthlyFigures,
    monthly_figures,
    parse_month,
    render_html,
    render_pdf,
)
from services.dashboard.entrypoints.deps import SignedIn, get_dashboard, require
from services.dashboard.entrypoints.office import LEADERS
from shared.refusal import Refused

router = APIRouter(prefix="/kantor", tags=["office"])
# A month as the report takes it (`analytics.report.MONTH_PATTERN`): anything else 422.
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN)]


async def _figures(request: Request, office: str, bulan: str | None) -> MonthlyFigures:
    month = parse_month(bulan or f"{datetime.now(UTC):%Y-%m}")
    async with get_dashboard(request).pool.acquire() as conn:
        try:
            return await monthly_figures(conn, office, month)
        except LookupError:
            raise Refused("unknown_office", "Kantor tidak dikenal.", status=404) from None


@router.get("/laporan", response_class=HTMLResponse)
async def monthly_report(request: Request, me: SignedIn, bulan: Month = None) -> HTMLResponse:
    require(me, *LEADERS)
    figures = await _figures(request, me.office.id, bulan)
    return HTMLResponse(await asyncio.to_thread(render_html, figures))


@router.get("/laporan.pdf")
async def monthly_report_pdf(request: Request, me: SignedIn, bulan: Month = None) -> Response:
    require(me, *LEADERS)
    figures = await _figures(request, me.office.id, bulan)
    pdf = await asyncio.to_thread(render_pdf, figures)
    name = f"laporan-{figures.office}-{figures.month:%Y-%m}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
