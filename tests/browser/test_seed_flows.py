"""Three of the published standards clicked through in a real Chromium, over the six real
processes, each step by a different signed-in person on their own page:

* 002 Lumajang: a new KKS by proxy; the draft is refused until the village statement is
  uploaded from the case page (a scan, as from a phone's camera); then the four-step chain
  (draft → sub-coordinator → Kabid → the secretary signs), ending in the signed letter and
  its PDF preview.
* 001 Kupang: a complaint letter to the head; the head's disposition to a Kabid, who
  drafts; the secretary approves and the head signs.
* 004 Mataram LK3: identity, a social worker assigned, assessment, consultation,
  counselling sessions and a referral; the notes stay the care team's.

The request itself is registered through intake's API in the set-up (the desk's reception
page is another part of the app); everything after it is done by clicking. Screenshots of
every page passed through are saved under `tests/browser/screenshots/seed-*.png`.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from shared.contracts.vocab import Role
from tests.browser.conftest import SCREENSHOTS, Six, create_staff
from tests.browser.test_dashboard import bearer, in_casework, new_page, shot, sign_in

pytestmark = pytest.mark.browser

# Synthetic, structurally valid NIKs (region prefix = the office's regency/city).
LUMAJANG_PROXY_NIK = "3508010202850142"
LUMAJANG_HOLDER_NIK = "3508014101900141"
LUMAJANG_HOLDER_KK = "3508010101100141"
MATARAM_LK3_NIK = "5271010303800151"

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f1b8e20000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_shot(pdf: bytes, name: str) -> None:
    """The signed letter's first page as an image (headless Chromium draws no PDF in a
    frame, so the preview's screenshot alone would not show it)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        document[0].render(scale=1.5).to_pil().save(SCREENSHOTS / f"{name}.png")
    finally:
        document.close()


def staff(six: Six, username: str, office: str, name: str, *roles: str) -> str:
    create_staff(six.database_url, username, office, name, *roles)
    return username


async def person(chromium: Browser, six: Six, username: str) -> Page:
    page = await new_page(chromium, six)
    await sign_in(page, username)
    await expect(page.locator("header.top .name")).to_be_visible()
    return page


async def open_case_from(page: Page, list_path: str, case_id: str, ticket: str) -> None:
    """From a list page (My work, Approvals), click the case's ticket."""
    await page.goto(list_path)
    row = page.locator(f"tr[data-case-id='{case_id}']")
    await expect(row).to_be_visible(timeout=15_000)
    await row.get_by_role("link", name=ticket).click()
    await expect(page.get_by_role("heading", name=f"Kasus {ticket}")).to_be_visible()


async def done(page: Page, text: str) -> None:
    """The action's confirmation (or fail with the refusal shown instead)."""
    flash = page.locator("#flash")
    await expect(flash.locator("#done, .refused")).to_be_visible(timeout=15_000)
    if await flash.locator(".refused").count():
        raise AssertionError(f"refused: {await flash.inner_text()}")
    await expect(flash.locator("#done")).to_contain_text(text)


async def action(page: Page, name: str) -> Locator:
    """The form of one action on the case page (by its data-action)."""
    form = page.locator(f"#case-body form[data-action='{name}']")
    await expect(form).to_have_count(1, timeout=15_000)
    return form


async def unfold(page: Page, summary: str) -> None:
    await page.locator("#case-body details.fold summary", has_text=summary).click()


async def reload_until(page: Page, locator: str, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if text in (await page.locator(locator).inner_text()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} never showed {text!r}")
        await asyncio.sleep(0.5)
        await page.reload()


async def checklist_of(six: Six, office: str, case_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(timeout=10) as c:
        while time.monotonic() < deadline:
            r = await c.get(
                f"{six.url('documents')}/v1/cases/{case_id}/checklist",
                headers=bearer(office, Role.FRONT_OFFICE),
            )
            if r.status_code == 200:
                found: dict[str, Any] = r.json()
                return found
            await asyncio.sleep(0.2)
    raise AssertionError(f"no checklist for {case_id}")


async def receive_all(page: Page, checklist: dict[str, Any], skip: str = "") -> None:
    """The desk checks in every missing document by clicking "Terima" on its row."""
    for group in checklist["missing_documents"]:
        doc, form = group[0]["type"], group[0]["form"]
        if doc == skip:
            continue
        row = page.locator(f"#checklist li[data-document='{doc}'][data-form='{form}']")
        await row.get_by_role("button", name="Terima").click()
        await expect(row).to_have_class("received", timeout=15_000)


async def test_lumajang_kks_by_proxy_refused_until_the_village_statement_then_four_steps(
    six: Six, chromium: Browser
) -> None:
    office = "lumajang"
    officer = staff(six, "lmj-petugas", office, "Petugas Pelayanan Contoh", "officer")
    sub = staff(six, "lmj-subkor", office, "Subkoordinator Contoh", "sub_coordinator")
    kabid = staff(six, "lmj-kabid", office, "Kabid Contoh", "head_of_division")
    sekdis = staff(six, "lmj-sekdis", office, "Sekretaris Contoh", "secretary")
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(
            f"{six.url('eligibility')}/v1/registry/members",
            headers=bearer(office, Role.REGISTRY_ADMIN),
            json={
                "members": [
                    {
                        "nik": LUMAJANG_HOLDER_NIK,
                        "kk_number": LUMAJANG_HOLDER_KK,
                        "name": "Pemegang Kartu Contoh",
                        "region_code": "35.08.01.2001",
                        "programmes": ["BPNT"],
                        "decile": 2,
                        "snapshot_date": "2026-10-01",
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text
        r = await c.post(
            f"{six.url('intake')}/v1/requests",
            headers=bearer(office, Role.FRONT_OFFICE, staff="lmj-desk"),
            json={
                "office": office,
                "service": "kks-recommendation",
                "variant": "proxy-new-kks",
                "channel": "walk_in",
                "applicant": {"name": "Kuasa Contoh", "nik": LUMAJANG_PROXY_NIK},
                "on_behalf_of": {"name": "Pemegang Kartu Contoh", "nik": LUMAJANG_HOLDER_NIK},
                "description": "KKS ibu saya hilang; beliau sakit dan tidak bisa hadir (uji).",
            },
        )
        assert r.status_code == 201, r.text
    case_id, ticket = r.json()["case_id"], r.json()["ticket_number"]
    await in_casework(six, office, case_id)
    checklist = await checklist_of(six, office, case_id)
    missing = [g[0]["type"] for g in checklist["missing_documents"]]
    assert "village_statement" in missing, missing

    # The desk: every document but the village statement, the KTP with its scan.
    desk = await person(chromium, six, "lmj-desk")
    await open_case_from(desk, "/", case_id, ticket)
    await reload_until(desk, "#checklist-state", "Terdaftar di DTKS")
    first = next(d for d in missing if d != "village_statement")  # with its scan
    scan = desk.locator(f"#checklist li[data-document='{first}'] input[type=file]")
    await expect(scan).to_have_attribute("accept", "image/*,application/pdf")
    await expect(scan).to_have_attribute("capture", "environment")
    await scan.set_input_files({"name": "ktp.png", "mimeType": "image/png", "buffer": PNG})
    await shot(desk, "seed-lmj-01-desk-checklist")
    await receive_all(desk, checklist, skip="village_statement")
    await (await action(desk, "checklist-decision")).get_by_role("button").click()
    await done(desk, "desa")  # what is still to bring, in Indonesian
    await expect(desk.locator("#checklist-state")).to_contain_text("Belum lengkap")
    await shot(desk, "seed-lmj-02-desk-missing-village-statement")

    # The officer may not draft yet: refused, with the reason in Indonesian.
    drafter = await person(chromium, six, officer)
    await drafter.goto(f"/kasus/{case_id}")
    await (await action(drafter, "draft")).get_by_role("button").click()
    refused = drafter.locator("#flash .refused")
    await expect(refused).to_be_visible(timeout=15_000)
    await expect(refused).to_have_attribute("data-code", "requirements_incomplete")
    await expect(refused).to_contain_text("Persyaratan belum lengkap")
    await expect(refused.locator("li")).to_have_text(re.compile(r"^Surat Keterangan dari desa"))
    await shot(drafter, "seed-lmj-03-draft-refused")

    # The village statement, uploaded from the case page as a scan.
    await desk.reload()
    row = desk.locator("#checklist li[data-document='village_statement']")
    await row.locator("input[type=file]").set_input_files(
        {"name": "surat-desa.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    await row.get_by_role("button", name="Terima").click()
    await done(desk, "pindaiannya disimpan")
    await expect(row).to_contain_text("dengan pindaian")
    await (await action(desk, "checklist-decision")).get_by_role("button").click()
    await done(desk, "lengkap")
    await expect(desk.locator("#checklist-state")).to_contain_text("Lengkap")
    await shot(desk, "seed-lmj-04-desk-complete")

    # Drafted by the officer...
    await drafter.reload()
    await (await action(drafter, "draft")).get_by_role("button").click()
    await done(drafter, "Draf surat dibuat")
    letter = drafter.locator("#letter .letter")
    await expect(letter).to_have_attribute("data-status", "in_review")
    await expect(letter.locator(".chain li.now")).to_contain_text("Sub-koordinator")
    await shot(drafter, "seed-lmj-05-drafted")

    # ... approved by the sub-coordinator and the Kabid, each from their inbox ...
    for username, who, next_step in (
        (sub, "subkor", "Kepala Bidang"),
        (kabid, "kabid", "Sekretaris Dinas"),
    ):
        page = await person(chromium, six, username)
        await expect(page.locator("header nav")).to_contain_text("Persetujuan")
        await page.get_by_role("link", name="Persetujuan").click()
        await expect(page.get_by_role("heading", name="Persetujuan")).to_be_visible()
        await shot(page, f"seed-lmj-06-inbox-{who}")
        await open_case_from(page, "/persetujuan", case_id, ticket)
        form = await action(page, "approve")
        await form.get_by_label("Catatan (opsional)").fill("Sudah sesuai.")
        await form.get_by_role("button", name="Setujui").click()
        await done(page, "disetujui")
        await expect(page.locator("#letter .chain li.now")).to_contain_text(next_step)
        await shot(page, f"seed-lmj-07-approved-{who}")
        await page.context.close()

    # ... and signed by the secretary: the number, the PDF.
    signer = await person(chromium, six, sekdis)
    await open_case_from(signer, "/persetujuan", case_id, ticket)
    await expect(signer.locator("#case-body form[data-action='approve']")).to_have_count(0)
    await (await action(signer, "sign")).get_by_role("button", name="Tandatangani").click()
    await done(signer, "ditandatangani")
    letter = signer.locator("#letter .letter")
    await expect(letter).to_have_attribute("data-status", "signed")
    await expect(signer.locator("#letter-number")).not_to_be_empty()
    pdf_link = signer.locator("#letter-pdf")
    href = await pdf_link.get_attribute("href")
    assert href is not None
    got = await signer.request.get(href)
    assert got.status == 200 and got.headers["content-type"] == "application/pdf"
    assert (await got.body()).startswith(b"%PDF")
    pdf_shot(await got.body(), "seed-lmj-09-letter-pdf")
    await expect(signer.locator("iframe.pdf")).to_be_visible()
    await signer.wait_for_timeout(1500)  # let the PDF viewer draw for the screenshot
    await shot(signer, "seed-lmj-08-signed-with-pdf")
    # The inbox is empty of it now.
    await signer.goto("/persetujuan")
    await expect(signer.locator(f"tr[data-case-id='{case_id}']")).to_have_count(0)
    for page in (desk, drafter, signer):
        await page.context.close()


async def test_kupang_letter_disposed_by_the_head_to_a_kabid_who_drafts(
    six: Six, chromium: Browser
) -> None:
    office = "kupang"
    head = staff(six, "kpg-kadis", office, "Kepala Dinas Contoh", "head_of_office")
    kabid = staff(six, "kpg-kabid", office, "Kabid Kupang Contoh", "head_of_division")
    sekdis = staff(six, "kpg-sekdis", office, "Sekretaris Kupang Contoh", "secretary")
    details = {
        "office": office,
        "letter_number": f"005/{uuid.uuid4().hex[:6]}/XI/2026",
        "sender": {"name": "Warga Kupang Contoh", "phone": "081200000091"},
        "service": "public-complaint",
        "subject": "Pengaduan bantuan sosial",
        "summary": "Bantuan sembako kami belum diterima, mohon penjelasan (data uji).",
    }
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(
            f"{six.url('intake')}/v1/channels/letter",
            data={"details": orjson.dumps(details).decode()},
            files={"scan": ("surat.pdf", PDF, "application/pdf")},
            headers=bearer(office, Role.FRONT_OFFICE, Role.RECEPTIONIST, staff="kpg-desk"),
        )
        assert r.status_code == 202, r.text
        inbound_id = r.json()["inbound_ids"][0]
        deadline = time.monotonic() + 40
        row: dict[str, Any] = {}
        while time.monotonic() < deadline:
            got = await c.get(
                f"{six.url('intake')}/v1/inbound/{inbound_id}",
                headers=bearer(office, Role.FRONT_OFFICE),
            )
            row = got.json() if got.status_code == 200 else {}
            if row.get("status") not in (None, "queued"):
                break
            await asyncio.sleep(0.2)
    assert row.get("status") == "accepted", row
    case_id = row["case_id"]
    view = await in_casework(six, office, case_id)
    ticket = view["ticket_number"]
    checklist = await checklist_of(six, office, case_id)

    # The desk checks in what the letter enclosed.
    desk = await person(chromium, six, "kpg-desk")
    await desk.goto(f"/kasus/{case_id}")
    await receive_all(desk, checklist)
    await (await action(desk, "checklist-decision")).get_by_role("button").click()
    await done(desk, "lengkap")
    await shot(desk, "seed-kpg-01-desk-documents")
    await desk.context.close()

    # The head finds it in My work and disposes it to the Kabid.
    kadis = await person(chromium, six, head)
    await open_case_from(kadis, "/", case_id, ticket)
    form = await action(kadis, "disposition")
    await form.get_by_label("Kepada pejabat").select_option(f"{kabid}|head_of_division")
    await form.get_by_label("Instruksi").fill("Mohon dijawab secara tertulis.")
    await shot(kadis, "seed-kpg-02-head-disposition")
    await form.get_by_role("button", name="Disposisikan").click()
    await done(kadis, "Disposisi dicatat")
    await expect(kadis.locator("#disposition")).to_contain_text("Mohon dijawab")
    await expect(kadis.locator("#assignee")).to_contain_text("Kabid Kupang Contoh")
    await shot(kadis, "seed-kpg-03-disposed")

    # The Kabid starts the work and drafts the answer.
    page = await person(chromium, six, kabid)
    await open_case_from(page, "/", case_id, ticket)
    await (await action(page, "start")).get_by_role("button").click()
    await done(page, "Pekerjaan dimulai")
    draft = await action(page, "draft")
    await draft.get_by_label("Isi jawaban").fill(
        "Bantuan sembako Saudara akan disalurkan pada tahap berikutnya (data uji)."
    )
    await draft.get_by_role("button", name="Buat draf surat").click()
    await done(page, "Draf surat dibuat")
    await expect(page.locator("#letter .chain li.now")).to_contain_text("Sekretaris Dinas")
    await shot(page, "seed-kpg-04-kabid-drafted")
    await page.context.close()

    # The secretary approves from the inbox.
    sec = await person(chromium, six, sekdis)
    await open_case_from(sec, "/persetujuan", case_id, ticket)
    await (await action(sec, "approve")).get_by_role("button", name="Setujui").click()
    await done(sec, "disetujui")
    await shot(sec, "seed-kpg-05-secretary-approved")
    await sec.context.close()

    # The head signs.
    await kadis.get_by_role("link", name="Persetujuan").click()
    await shot(kadis, "seed-kpg-06-head-inbox")
    await open_case_from(kadis, "/persetujuan", case_id, ticket)
    await (await action(kadis, "sign")).get_by_role("button", name="Tandatangani").click()
    await done(kadis, "ditandatangani")
    await expect(kadis.locator("#letter .letter")).to_have_attribute("data-status", "signed")
    await expect(kadis.locator("iframe.pdf")).to_be_visible()
    href = await kadis.locator("#letter-pdf").get_attribute("href")
    assert href is not None
    answer = await kadis.request.get(href)
    assert answer.status == 200 and (await answer.body()).startswith(b"%PDF")
    pdf_shot(await answer.body(), "seed-kpg-08-letter-pdf")
    await kadis.wait_for_timeout(1500)
    await shot(kadis, "seed-kpg-07-signed")
    await kadis.context.close()


async def test_mataram_lk3_assignment_assessment_sessions_and_a_referral(
    six: Six, chromium: Browser
) -> None:
    office = "mataram"
    desk_id = staff(six, "mtr-desk", office, "Petugas Mataram Contoh", "front_office")
    kabid = staff(six, "mtr-kabid", office, "Kabid Mataram Contoh", "head_of_division")
    peksos = staff(six, "mtr-peksos", office, "Pekerja Sosial Contoh", "social_worker")
    psikolog = staff(six, "mtr-psikolog", office, "Psikolog Contoh", "psychologist")
    async with httpx.AsyncClient(timeout=20) as c:
        r = await c.post(
            f"{six.url('intake')}/v1/requests",
            headers=bearer(office, Role.FRONT_OFFICE, staff=desk_id),
            json={
                "office": office,
                "service": "lk3-consultation",
                "channel": "walk_in",
                "applicant": {"name": "Klien LK3 Contoh", "nik": MATARAM_LK3_NIK},
                "description": "Konsultasi keluarga (data uji).",
            },
        )
        assert r.status_code == 201, r.text
    case_id, ticket = r.json()["case_id"], r.json()["ticket_number"]
    await in_casework(six, office, case_id)

    # The desk records the client's identity (the domicile is verified by then).
    desk = await person(chromium, six, desk_id)
    await open_case_from(desk, "/", case_id, ticket)
    await reload_until(desk, "#eligibility", "Berdomisili")
    await (await action(desk, "identity")).get_by_role("button").click()
    await done(desk, "Identitas klien dicatat")
    await shot(desk, "seed-mtr-01-identity")

    # The Kabid assigns a social worker.
    page = await person(chromium, six, kabid)
    await page.goto(f"/kasus/{case_id}")
    await unfold(page, "Tugaskan")
    form = await action(page, "assign")
    await form.get_by_label("Petugas").select_option(f"{peksos}|social_worker")
    await form.get_by_role("button", name="Tugaskan").click()
    await done(page, "ditugaskan")
    await expect(page.locator("#assignee")).to_contain_text("Pekerja Sosial Contoh")
    await shot(page, "seed-mtr-02-assigned")
    await page.context.close()

    # The social worker: assessment, then the case consultation naming the psychologist.
    sw = await person(chromium, six, peksos)
    await open_case_from(sw, "/", case_id, ticket)
    form = await action(sw, "assessment")
    await form.get_by_label("Asesmen awal").fill("Asesmen awal keluarga (data uji).")
    await form.get_by_role("button").click()
    await done(sw, "Asesmen dicatat")
    form = await action(sw, "consultation")
    await form.get_by_label("Psikolog").select_option(psikolog)
    await form.get_by_role("button").click()
    await done(sw, "Konsultasi dicatat")
    await shot(sw, "seed-mtr-03-assessment-consultation")

    # The psychologist: two counselling sessions; they read their own notes.
    psy = await person(chromium, six, psikolog)
    await psy.goto(f"/kasus/{case_id}")
    for n in (1, 2):
        form = await action(psy, "counselling")
        await form.get_by_label("Catatan sesi").fill(f"Sesi {n}: catatan konseling (uji).")
        await form.get_by_role("button").click()
        await done(psy, "Sesi konseling dicatat")
        await expect(psy.locator("#care-notes li")).to_have_count(1 + n, timeout=15_000)
    await expect(psy.locator("#care-notes")).to_contain_text("Sesi 2: catatan konseling")
    await expect(psy.locator("#lk3 tr[data-step] .sessions")).to_contain_text("2 sesi")
    await shot(psy, "seed-mtr-04-counselling")
    await psy.context.close()

    # The social worker refers the client on; the receiver's answer is recorded.
    await sw.reload()
    await unfold(sw, "Buat rujukan")
    form = await action(sw, "refer")
    await form.get_by_label("Instansi tujuan").fill("uptd-ppa")
    await form.get_by_label("Alasan rujukan").fill("Pendampingan lanjutan oleh UPTD PPA (uji).")
    await form.get_by_role("button", name="Rujuk").click()
    await done(sw, "Rujukan dibuat")
    referral = sw.locator("#referrals .referral")
    await expect(referral).to_contain_text("uptd-ppa")
    await expect(referral).to_contain_text("Terbuka")
    await (await action(sw, "referral-answer")).get_by_role("button").click()
    await done(sw, "Jawaban rujukan dicatat")
    await expect(sw.locator("#referrals .referral")).to_contain_text("Diterima")
    await shot(sw, "seed-mtr-05-referral")
    await sw.context.close()

    # The front office sees that there were sessions, not what was said in them.
    await desk.reload()
    await expect(desk.locator("#care-notes")).to_contain_text("[rahasia]")
    await expect(desk.locator("#case-body")).not_to_contain_text("catatan konseling")
    await expect(desk.locator("#case-body")).not_to_contain_text("Asesmen awal keluarga")
    await shot(desk, "seed-mtr-06-desk-sees-no-notes")
    await desk.context.close()
