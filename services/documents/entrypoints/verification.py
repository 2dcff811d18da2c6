"""HTTP, public (no sign-in): `GET /v1/verify/{letter_id}?h=<hash>`, the page the QR code
on a printed letter opens: HTML in Bahasa Indonesia, or JSON."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from html import escape
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from services.documents.config import get_documents_settings
from services.documents.domain.content import tanggal
from services.documents.domain.identity import MASK, PAGE_MASK
from services.documents.entrypoints.dependencies import UnitOfWorkFactory, bind
from services.documents.entrypoints.rate_limit import RateLimit
from services.documents.entrypoints.responses import Verification
from services.documents.service_layer.verify_letter import verify_letter

public = APIRouter(prefix="/v1", tags=["verification"])


@lru_cache(maxsize=1)
def _limit() -> RateLimit:
    return RateLimit(get_documents_settings().slrt_verify_rate_per_minute)


@public.get(
    "/verify/{letter_id}",
    response_model=Verification,
    name="verify_letter",
    responses={
        200: {"content": {"text/html": {}}, "description": "JSON or, for a browser, a page."}
    },
)
async def verify(
    letter_id: UUID,
    request: Request,
    new_uow: UnitOfWorkFactory,
    h: str = Query(max_length=128, description="The content hash printed in the QR code."),
    format: Literal["html", "json"] | None = Query(default=None),
) -> Response:
    """Is this letter genuine? No sign-in; shows no more than the letter itself (less).
    Rate-limited per client address (429 `too_many_requests`)."""
    bind(request, letter_id=letter_id)
    _limit().check(request.client.host if request.client else "unknown")
    result = await verify_letter(new_uow, letter_id, h)
    wants_json = format == "json" or (
        format is None and "application/json" in request.headers.get("accept", "")
    )
    status = 200 if result["found"] else 404
    if wants_json:
        return JSONResponse(result, status_code=status)
    return HTMLResponse(page(result), status_code=status)


_STYLE = (
    "body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}"
    ".ok{color:#0a6b2d}.bad{color:#a31515}dt{font-weight:bold;margin-top:.6rem}"
    "code{word-break:break-all;font-size:.8rem}"
)


_BASIS = {
    "registry": "sesuai data DTKS/DTSEN",
    "ktp": "sesuai KTP yang diperiksa petugas",
    "declared": "sesuai keterangan pemohon",
}


def _person_rows(person: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The person the letter is about: the name and the masked NIK, nothing else."""
    if not person:
        return []
    nik = (person.get("nik_masked") or "-").replace(MASK, PAGE_MASK)
    rows = [("Nama", person.get("name") or "-"), ("NIK", nik)]
    if basis := _BASIS.get(person.get("basis") or ""):
        rows.append(("Identitas", basis))
    return rows


def page(result: dict[str, Any]) -> str:
    """The verification result as an HTML page in Bahasa Indonesia."""
    if not result["found"]:
        title, body = (
            "Surat tidak ditemukan",
            '<p class="bad">Tidak ada surat yang telah ditandatangani dengan kode ini. '
            "Periksa kembali alamat atau kode QR pada surat.</p>",
        )
    elif not result["genuine"]:
        title, body = (
            "Surat TIDAK dapat diverifikasi",
            '<p class="bad">Kode verifikasi tidak cocok dengan surat yang tercatat. Isi surat '
            "mungkin telah diubah; mohon hubungi kantor penerbit.</p>",
        )
    else:
        letter = result["letter"]
        signed = letter["signed_by"]
        rows = _person_rows(letter.get("person"))
        rows += [
            ("Instansi", letter["office"]),
            ("Nomor surat", letter["number"]),
            ("Tanggal", tanggal(date.fromisoformat(letter["date"]))),
            ("Perihal", letter["subject"]),
            ("Ditandatangani oleh", f"{signed['name']}, {signed['title']}"),
        ]
        items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
        title = "Surat ASLI"
        body = (
            '<p class="ok">Surat ini tercatat dan ditandatangani secara sah. Isi surat sama '
            "dengan yang tercatat pada sistem.</p>"
            + (
                "<p>Cocokkan nama, NIK, nomor dan tanggal di bawah ini dengan yang tertulis "
                "pada surat. Jika berbeda, surat yang Anda pegang bukan surat ini.</p>"
                if letter.get("person")
                else ""
            )
            + f"<dl>{items}</dl>"
            f"<p>Sidik isi (SHA-256): <code>{escape(letter['content_sha256'])}</code></p>"
        )
    css = "ok" if result.get("genuine") else "bad"
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Verifikasi Surat - {escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><h1 class="{css}">{escape(title)}</h1>{body}'
        "<p><small>Halaman verifikasi keaslian surat Dinas Sosial (SLRT).</small></p>"
        "</body></html>"
    )
