"""The case page's actions: each a form that posts (with its CSRF token) to a route here,
which sends the command to the owning service with the person's token.

With htmx the answer is the case page's body, re-read after the change (the swap target
`#case-body`); without JavaScript, a redirect back to the case page. A refusal by the
service is shown in Bahasa Indonesia by `errors.py` (the `#flash` area, or a page).

Routes (Indonesian paths, like the pages):
* `POST /kasus/{id}/aksi/{langkah}`: casework's lifecycle, assignment, disposition and
  delegation, LK3 steps and referrals (`LIFECYCLE`);
* `POST /kasus/{id}/rujukan/{referral}/{jawab|tutup}`: a referral's answer, its close;
* `POST /kasus/{id}/dokumen` (with or without a scan), `/kelengkapan` (documents);
* `POST /kasus/{id}/kelayakan`: eligibility's recheck with a NIK;
* `POST /kasus/{id}/surat`, `/kasus/{id}/surat/{letter}/{langkah}`: the letter's draft and
  chain; `GET /surat/{letter}.pdf`: the signed PDF through the dashboard, with the token;
* `POST /kasus/{id}/duplikat/{konfirmasi|abaikan}` (intake).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.dashboard import views_case
from services.dashboard.domain.navigation import ALL_CASE_ROLES
from services.dashboard.entrypoints.deps import (
    Me,
    SignedIn,
    flash,
    get_dashboard,
    is_htmx,
    render,
    require,
)
from shared.refusal import Refused

router = APIRouter(tags=["case actions"])

# Indonesian path step -> (casework path, the form fields it takes, what is said after).
LIFECYCLE: dict[str, tuple[str, tuple[str, ...], str]] = {
    "ambil": ("take-up", ("reason",), "Kasus diambil oleh front office."),
    "ke-back-office": ("back-office", ("reason",), "Kasus diteruskan ke back office."),
    "tugaskan": ("assign", ("petugas", "reason"), "Kasus ditugaskan."),
    "disposisi": ("disposition", ("petugas", "instruction"), "Disposisi dicatat."),
    "delegasi": ("delegate", ("petugas", "instruction"), "Kasus didelegasikan."),
    "mulai": ("start", ("reason",), "Pekerjaan dimulai."),
    "tunda": ("pause", ("waiting_for", "agency", "reason"), "Kasus ditunda; jam layanan berhenti."),
    "lanjutkan": ("resume", ("reason",), "Kasus dilanjutkan; jam layanan berjalan lagi."),
    "jawab": ("answer", ("answer", "reason"), "Jawaban dicatat."),
    "selesaikan": ("resolve", ("outcome", "reason"), "Kasus diselesaikan."),
    "tutup": ("close", ("reason",), "Kasus ditutup."),
    "buka-kembali": ("reopen", ("reason",), "Kasus dibuka kembali."),
    "teruskan": ("forward", ("forwarded_to", "reason"), "Kasus diteruskan ke instansi lain."),
    "identitas": ("social-work/identity", ("reason",), "Identitas klien dicatat."),
    "asesmen": ("assessment", ("summary",), "Asesmen dicatat."),
    "konsultasi": ("social-work/consultation", ("psychologist", "reason"), "Konsultasi dicatat."),
    "konseling": ("social-work/counselling", ("notes",), "Sesi konseling dicatat."),
    "rujuk": ("referrals", ("agency", "programme", "reason"), "Rujukan dibuat."),
}
REFERRAL_STEPS = {"jawab": "answer", "tutup": "close"}
LETTER_STEPS: dict[str, tuple[str, str]] = {
    "setujui": ("approve", "Surat disetujui dan diteruskan ke tahap berikutnya."),
    "kembalikan": ("return", "Surat dikembalikan kepada pembuat draf dengan catatan."),
    "ajukan-ulang": ("resubmit", "Surat diajukan ulang."),
    "tandatangani": ("sign", "Surat ditandatangani dan diberi nomor."),
    "serahkan": ("issue", "Surat diserahkan / dikirim kepada warga."),
}
DUPLICATE_STEPS = {
    "konfirmasi": ("confirm", "Duplikat dikonfirmasi; kasus digabung."),
    "abaikan": ("dismiss", "Dugaan duplikat diabaikan."),
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _body(form: FormData, fields: tuple[str, ...]) -> dict[str, Any]:
    """The command's JSON body from the form: empty fields left out (the service's
    defaults apply); `petugas` is `username|role` from the staff select."""
    body: dict[str, Any] = {}
    for name in fields:
        value = _text(form, name)
        if not value:
            continue
        if name == "petugas":
            assignee, _, role = value.partition("|")
            body["assignee"], body["role"] = assignee, role
        else:
            body[name] = value
    return body


async def _after(
    request: Request, me: Me, case_id: UUID, message: str, *, position: int | None = None
) -> Response:
    """htmx: the case body, read again (waiting for casework to reach `position`); without
    JavaScript: back to the case page."""
    if not is_htmx(request):
        response = RedirectResponse(f"/kasus/{case_id}", status_code=303)
        flash(response, "case_step_done")
        return response
    d = get_dashboard(request)
    case = await views_case.case_page(
        d.services, d.pool, me.token(), me.office, me.account, case_id, after=position
    )
    return render(request, "_case_after.html", {"case": case, "done": message}, me=me)


def _position(accepted: dict[str, Any]) -> int | None:
    positions = [e.get("global_position") for e in accepted.get("events", [])]
    known = [p for p in positions if isinstance(p, int)]
    return max(known) if known else None


@router.post("/kasus/{case_id}/aksi/{step}", response_class=HTMLResponse)
async def lifecycle(request: Request, me: SignedIn, case_id: UUID, step: str) -> Response:
    require(me, *ALL_CASE_ROLES)
    if step not in LIFECYCLE:
        raise Refused.not_found("page_not_found", f"No case step {step!r}.")
    path, fields, message = LIFECYCLE[step]
    body = _body(await request.form(), fields)
    accepted = await get_dashboard(request).services.casework.command(
        me.token(), case_id, path, body
    )
    return await _after(request, me, case_id, message, position=_position(accepted))


@router.post("/kasus/{case_id}/rujukan/{referral_id}/{step}", response_class=HTMLResponse)
async def referral(
    request: Request, me: SignedIn, case_id: UUID, referral_id: UUID, step: str
) -> Response:
    require(me, *ALL_CASE_ROLES)
    if step not in REFERRAL_STEPS:
        raise Refused.not_found("page_not_found", f"No referral step {step!r}.")
    form = await request.form()
    body: dict[str, Any] = {"reason": _text(form, "reason")}
    if step == "jawab":
        body["accepted"] = _text(form, "accepted") == "ya"
        message = "Jawaban rujukan dicatat."
    else:
        body["outcome"] = _text(form, "outcome") or "served"
        message = "Rujukan ditutup."
    accepted = await get_dashboard(request).services.casework.command(
        me.token(), case_id, f"referrals/{referral_id}/{REFERRAL_STEPS[step]}", body
    )
    return await _after(request, me, case_id, message, position=_position(accepted))


@router.post("/kasus/{case_id}/dokumen", response_class=HTMLResponse)
async def document(request: Request, me: SignedIn, case_id: UUID) -> Response:
    """A document checked at the desk; with a scan (a file, or a phone's camera) when one
    is chosen."""
    require(me, *ALL_CASE_ROLES)
    form = await request.form()
    document_type, doc_form = _text(form, "document_type"), _text(form, "form") or "copy"
    scan = form.get("scan")
    documents = get_dashboard(request).services.documents
    if isinstance(scan, UploadFile) and scan.filename:
        content = await scan.read()
        await documents.upload_document(
            me.token(),
            case_id,
            document_type,
            doc_form,
            (scan.filename, content, scan.content_type or "application/octet-stream"),
        )
        message = "Dokumen diterima dan pindaiannya disimpan."
    else:
        await documents.receive_document(me.token(), case_id, document_type, doc_form)
        message = "Dokumen dicatat diterima."
    return await _after(request, me, case_id, message)


@router.post("/kasus/{case_id}/kelengkapan", response_class=HTMLResponse)
async def completeness(request: Request, me: SignedIn, case_id: UUID) -> Response:
    require(me, *ALL_CASE_ROLES)
    decided = await get_dashboard(request).services.documents.decide_checklist(me.token(), case_id)
    return await _after(request, me, case_id, str(decided.get("message") or ""))


@router.post("/kasus/{case_id}/kelayakan", response_class=HTMLResponse)
async def recheck(request: Request, me: SignedIn, case_id: UUID) -> Response:
    require(me, *ALL_CASE_ROLES)
    nik = _text(await request.form(), "nik")
    await get_dashboard(request).services.eligibility.recheck(me.token(), case_id, nik)
    return await _after(request, me, case_id, "Pemeriksaan DTKS dan domisili diulang.")


@router.post("/kasus/{case_id}/surat", response_class=HTMLResponse)
async def draft(request: Request, me: SignedIn, case_id: UUID) -> Response:
    require(me, *ALL_CASE_ROLES)
    body = _body(await request.form(), ("text", "recipient"))
    try:
        await get_dashboard(request).services.documents.draft_letter(me.token(), case_id, body)
    except Refused as refused:
        missing = refused.details.get("missing")
        if isinstance(missing, list):  # the documents' names, as the catalogue gives them
            names = views_case.document_names(me.office)
            refused.details["missing"] = [names.get(str(m), str(m)) for m in missing]
        raise
    return await _after(request, me, case_id, "Draf surat dibuat dan masuk alur persetujuan.")


@router.post("/kasus/{case_id}/surat/{letter_id}/{step}", response_class=HTMLResponse)
async def letter_step(
    request: Request, me: SignedIn, case_id: UUID, letter_id: UUID, step: str
) -> Response:
    require(me, *ALL_CASE_ROLES)
    if step not in LETTER_STEPS:
        raise Refused.not_found("page_not_found", f"No letter step {step!r}.")
    action, message = LETTER_STEPS[step]
    form = await request.form()
    fields = {
        "approve": ("comment",),
        "return": ("comment",),
        "resubmit": ("body",),
        "sign": (),
        "issue": ("channel",),
    }[action]
    body = _body(form, fields)
    await get_dashboard(request).services.documents.letter_step(me.token(), letter_id, action, body)
    if _text(form, "dari") == "persetujuan" and not is_htmx(request):
        return RedirectResponse("/persetujuan", status_code=303)
    return await _after(request, me, case_id, message)


@router.get("/surat/{letter_id}.pdf")
async def letter_pdf(request: Request, me: SignedIn, letter_id: UUID) -> Response:
    """The signed letter's PDF, fetched from documents with the person's token (so the
    read is documents' to authorise and log), shown inline."""
    require(me, *ALL_CASE_ROLES)
    pdf = await get_dashboard(request).services.documents.letter_pdf(me.token(), letter_id)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="surat-{letter_id}.pdf"'},
    )


@router.post("/kasus/{case_id}/duplikat/{step}", response_class=HTMLResponse)
async def duplicate(request: Request, me: SignedIn, case_id: UUID, step: str) -> Response:
    require(me, *ALL_CASE_ROLES)
    if step not in DUPLICATE_STEPS:
        raise Refused.not_found("page_not_found", f"No duplicate step {step!r}.")
    decision, message = DUPLICATE_STEPS[step]
    reason = _text(await request.form(), "reason")
    await get_dashboard(request).services.intake.duplicate_decision(
        me.token(), case_id, decision, reason
    )
    return await _after(request, me, case_id, message)
