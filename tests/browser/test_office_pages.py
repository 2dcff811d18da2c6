"""The office pages in a real Chromium over the six real processes: reception (a visitor
signs the guest book, is called, registered from the catalogue's form, gets the ticket;
the ID card goes back), triage (an unclear web-form message classified into a case), and
the office dashboard (counts and charts, live). Each page is shot at the office PC's
1366x768 and a phone's 360x800.

With `SLRT_DOCS_SCREENSHOTS=1` the README's tour pictures (`docs/screenshots/`) are
written from the same pages (viewport only, kept small)."""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from shared.contracts.vocab import Role
from shared.settings import REPO_ROOT
from tests.browser.conftest import SCREENSHOTS, Six, create_staff
from tests.browser.test_dashboard import (
    OFFICE_PC,
    PHONE,
    bearer,
    in_casework,
    new_page,
    register,
    sign_in,
)

pytestmark = pytest.mark.browser

DOCS = REPO_ROOT / "docs" / "screenshots"
SIZES: list[tuple[str, ViewportSize]] = [("pc", OFFICE_PC), ("phone", PHONE)]


@pytest.fixture(scope="module")
def office_staff(six: Six) -> None:
    for username, name, roles in [
        ("lmj-reception", "Rina Resepsionis Contoh", ("receptionist",)),
        ("lmj-head", "Kepala Dinas Contoh", ("head_of_office",)),
        ("lmj-triage", "Petugas Pengaduan Contoh", ("complaint_officer",)),
    ]:
        create_staff(six.database_url, username, "lumajang", name, *roles)


def small(path: Path) -> None:
    """A tour picture in 64 colours: a third of the bytes, the same to read."""
    from PIL import Image

    image = Image.open(path).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)


async def shots(page: Page, name: str, *, docs: str | None = None) -> None:
    """The page at both sizes (full page), and the tour's picture when asked for."""
    for label, size in SIZES:
        await page.set_viewport_size(size)
        await page.screenshot(path=str(SCREENSHOTS / f"office-{name}-{label}.png"), full_page=True)
        # Nothing may stick out sideways on a phone.
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} at {label}: {overflow}px wider than the screen"
    if docs and os.environ.get("SLRT_DOCS_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        for suffix, size in (("", OFFICE_PC), ("-phone", PHONE)):
            await page.set_viewport_size(size)
            path = DOCS / f"{docs}{suffix}.png"
            await page.screenshot(path=str(path))
            small(path)
    await page.set_viewport_size(OFFICE_PC)


async def test_reception_calls_a_visitor_and_registers_a_walk_in_from_the_catalogue(
    six: Six, chromium: Browser, office_staff: None
) -> None:
    page = await new_page(chromium, six)
    await sign_in(page, "lmj-reception")
    await page.get_by_role("navigation").get_by_role("link", name="Resepsionis").click()
    await expect(page.get_by_role("heading", name="Resepsionis")).to_be_visible()

    await page.get_by_label("Nama tamu").fill("Budi Tamu Contoh")
    await page.get_by_label("Keperluan").fill("Reset PIN KKS untuk ibu")
    await page.get_by_label("Kartu identitas dititipkan").select_option("ktp")
    await page.get_by_role("button", name="Beri nomor antrean").click()
    given = page.locator(".flash.new-number")
    await expect(given).to_contain_text("Nomor antrean A-")
    number = (await given.locator("strong").inner_text()).strip()
    row = page.locator("tr.visit-waiting", has_text="Budi Tamu Contoh")
    await expect(row).to_contain_text("KTP dititipkan")
    await shots(page, "reception", docs="reception")

    await page.get_by_role("button", name="Panggil berikutnya").click()
    await expect(page.locator("#now-serving")).to_have_text(number)
    await expect(page.locator("tr.visit-called", has_text="Budi Tamu Contoh")).to_be_visible()

    await (
        page.locator("tr", has_text="Budi Tamu Contoh")
        .get_by_role("link", name="Daftarkan permohonan")
        .click()
    )
    await page.get_by_label("Layanan yang dimohon").select_option(
        "kks-recommendation/proxy-reset-pin"
    )
    await page.get_by_role("button", name="Lanjut").click()
    checklist = page.locator(".checklist")
    await expect(checklist).to_contain_text("Materai 10.000")
    await expect(checklist).to_contain_text("Surat Keterangan dari desa")
    await page.get_by_label("Nama pemohon").fill("Budi Tamu Contoh")
    await page.get_by_label("NIK", exact=True).fill("3508010101900007")
    await page.get_by_label("Nomor telepon").fill("081200009911")
    await page.get_by_label("Nama pemberi kuasa").fill("Siti Pemegang Kartu Contoh")
    await page.get_by_label("NIK pemberi kuasa").fill("3508014101900008")
    for document in ("KTP", "Kartu Kesejahteraan Sosial (KKS)", "Materai 10.000"):
        await page.get_by_label(document, exact=True).check()
    await page.get_by_label("Uraian permohonan").fill("PIN KKS terblokir; pemegang kartu sakit.")
    await shots(page, "register-form", docs="register")
    await page.get_by_role("button", name="Daftarkan").click()

    ticket = page.locator("#ticket-number")
    await expect(ticket).to_have_text(re.compile(r"^LMJ-\d{4}-\d{6}$"))
    receipt = page.locator(".receipt")
    await expect(receipt).to_contain_text("Reset PIN dikuasakan")
    await expect(receipt).to_contain_text("Siti Pemegang Kartu Contoh")
    await expect(receipt).to_contain_text("Surat Keterangan dari desa")  # still missing
    await shots(page, "receipt", docs="receipt")

    await page.get_by_role("link", name="Kembali ke antrean").click()
    await expect(page.locator("tr.visit-registered", has_text="Budi Tamu Contoh")).to_be_visible()
    card = page.locator(".cards-held li", has_text="Budi Tamu Contoh")
    await card.get_by_role("button", name="Kembalikan").click()
    await expect(page.locator(".cards-held li", has_text="Budi Tamu Contoh")).to_have_count(0)
    await expect(page.locator("tr", has_text="Budi Tamu Contoh")).to_contain_text(
        "KTP dikembalikan"
    )
    await page.context.close()


async def unclear_message(six: Six, text: str) -> None:
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(
            f"{six.url('intake')}/v1/channels/website/lumajang",
            json={
                "person": {"name": "Warga Web Contoh", "phone": "081200009922"},
                "message": text,
                "submission_id": str(uuid.uuid4()),
            },
        )
    assert r.status_code in (200, 201, 202), r.text


async def test_triage_classifies_an_unclear_message_into_a_case(
    six: Six, chromium: Browser, office_staff: None
) -> None:
    text = f"Selamat siang, saya mau tanya soal kartu ibu saya ({uuid.uuid4().hex[:6]})."
    await unclear_message(six, text)
    page = await new_page(chromium, six)
    await sign_in(page, "lmj-triage")
    await page.get_by_role("navigation").get_by_role("link", name="Triase").click()
    item = page.locator(".triage-list li", has_text=text)
    deadline = time.monotonic() + 30
    while not await item.count() and time.monotonic() < deadline:
        await page.wait_for_timeout(300)  # the page is live; the message may still be routed
    await expect(item).to_contain_text("Situs web")
    await shots(page, "triage", docs="triage")
    await item.get_by_label("Golongkan sebagai").select_option("kks-recommendation/reset-pin")
    await item.get_by_role("button", name="Golongkan").click()
    flash = page.locator(".flash.ok")
    await expect(flash).to_contain_text("Tercatat sebagai kasus LMJ-")
    await expect(page.locator(".triage-list li", has_text=text)).to_have_count(0)

    # Two requests of one phone: a suspected duplicate, shown side by side, dismissed.
    phone = f"0812{uuid.uuid4().int % 10**8:08d}"
    made = [await walk_in(six, phone, f"PIN KKS terblokir ({n}).") for n in (1, 2)]
    for case in made:
        await in_casework(six, "lumajang", case["case_id"])
    pair = page.locator(f"article.pair[data-case-id='{made[1]['case_id']}']")
    deadline = time.monotonic() + 30
    while not await pair.count() and time.monotonic() < deadline:
        await page.wait_for_timeout(300)
    await expect(pair.locator(".side-by-side section")).to_have_count(2)
    await expect(pair).to_contain_text(made[0]["ticket_number"])
    await expect(pair).to_contain_text("nomor telepon sama")
    await shots(page, "duplicates", docs="duplicates")
    await pair.get_by_label("Alasan bukan duplikat").fill("Dua permohonan berbeda (uji).")
    await pair.get_by_role("button", name="Bukan duplikat").click()
    await expect(page.locator(f"article.pair[data-case-id='{made[1]['case_id']}']")).to_have_count(
        0
    )
    await page.context.close()


async def walk_in(six: Six, phone: str, description: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(
            f"{six.url('intake')}/v1/requests",
            headers=bearer("lumajang", Role.FRONT_OFFICE),
            json={
                "office": "lumajang",
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {"name": "Warga Ganda Contoh", "phone": phone},
                "description": description,
            },
        )
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def tile(page: Page, key: str) -> int:
    return int((await page.locator(f"#tile-{key}").inner_text()).strip())


async def test_the_office_dashboard_shows_counts_and_charts_live(
    six: Six, chromium: Browser, office_staff: None
) -> None:
    first: dict[str, Any] = await register(
        six, "lumajang", "kks-recommendation", description="PIN KKS terblokir (dasbor)."
    )
    await in_casework(six, "lumajang", first["case_id"])
    page = await new_page(chromium, six)
    await sign_in(page, "lmj-head")
    await page.get_by_role("navigation").get_by_role("link", name="Dasbor kantor").click()
    await expect(page.get_by_role("heading", name="Dasbor kantor")).to_be_visible()
    await expect(page.locator("body[data-live='on']")).to_have_count(1)
    before = await tile(page, "today")
    assert before >= 1 and await tile(page, "month") >= before and await tile(page, "open") >= 1
    chart = page.locator("svg#chart-channel-hari")
    await expect(chart).to_have_attribute("role", "img")
    await expect(chart.locator("title").first).to_contain_text("Permohonan hari ini menurut kanal")
    await expect(chart.locator("rect")).not_to_have_count(0)
    table = page.locator("figure", has=page.locator("svg#chart-channel-hari")).locator("table")
    await expect(table).to_contain_text("Datang langsung")
    await shots(page, "dashboard", docs="office-dashboard")

    await register(six, "lumajang", "kks-recommendation", description="Lagi (dasbor, langsung).")
    await expect(page.locator("#tile-today")).to_have_text(str(before + 1), timeout=15_000)

    await table.get_by_role("link", name="Datang langsung").click()
    await expect(
        page.get_by_role("heading", name="Kasus — hari ini, kanal Datang langsung")
    ).to_be_visible()
    await expect(page.locator(f"tr[data-case-id='{first['case_id']}']")).to_be_visible()
    await shots(page, "dashboard-drill-down")
    await page.context.close()


async def test_the_head_of_office_opens_the_monthly_report(
    six: Six, chromium: Browser, office_staff: None
) -> None:
    """The head of office reaches this month's report from the office dashboard: the same
    page `slrt report` writes, styled (its inline styles are allowed on that page alone),
    with its charts; the PDF beside it is a PDF."""
    case: dict[str, Any] = await register(
        six, "lumajang", "kks-recommendation", description="PIN KKS terblokir (laporan)."
    )
    await in_casework(six, "lumajang", case["case_id"])
    page = await new_page(chromium, six)
    await sign_in(page, "lmj-head")
    await page.get_by_role("navigation").get_by_role("link", name="Dasbor kantor").click()
    await page.get_by_role("link", name="Laporan bulanan (HTML)").click()
    await expect(
        page.get_by_role("heading", name="Laporan Bulanan Pelayanan dan Pengaduan")
    ).to_be_visible()
    chart = page.get_by_role("img", name="Permohonan per kanal")
    await expect(chart).to_be_visible()
    assert await chart.evaluate("img => img.naturalWidth") > 100  # drawn, not a broken image
    # The report's own stylesheet applies (a blocked inline style would leave it unstyled).
    width = await page.evaluate("getComputedStyle(document.body).maxWidth")
    assert width != "none"
    await page.screenshot(path=str(SCREENSHOTS / "office-monthly-report-pc.png"), full_page=True)
    pdf = await page.context.request.get("/kantor/laporan.pdf")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF")
    # Leaders only: a complaint officer is refused.
    await page.context.close()
    other = await new_page(chromium, six)
    await sign_in(other, "lmj-triage")
    refused = await other.goto("/kantor/laporan")
    assert refused is not None and refused.status == 403
    await other.context.close()
