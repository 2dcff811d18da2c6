"""HTTP, public (no sign-in): `GET /v1/letters/{letter_id}/download?code=<code>`, the
one-time link a citizen who asked online receives when their letter is signed. The code
is the permission: the signed PDF once, then a clear page in Bahasa Indonesia (HTML, or
JSON with `Accept: application/json` / `format=json`) for a used, expired or wrong link."""

from __future__ import annotations

from html import escape
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.documents.adapters.signed_pdf import signed_letter_pdf
from services.documents.config import verify_url
from services.documents.domain.facts import SignedLetter
from services.documents.entrypoints.dependencies import UnitOfWorkFactory, bind
from services.documents.service_layer.download_letter import download_letter
from shared.refusal import Refused
from shared.settings import get_settings

public = APIRouter(prefix="/v1", tags=["verification"])


async def _render(letter: SignedLetter) -> bytes:
    return await signed_letter_pdf(
        letter.content, verify_url(letter.letter_id, letter.content_sha256)
    )


@public.get(
    "/letters/{letter_id}/download",
    response_model=None,
    response_class=Response,
    name="download_letter",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The signed letter, once."},
        404: {"description": "download_link_invalid or letter_not_found"},
        410: {"description": "download_link_used or download_link_expired"},
    },
)
async def download(
    letter_id: UUID,
    request: Request,
    new_uow: UnitOfWorkFactory,
    code: str = Query(min_length=1, max_length=128, description="The one-time code."),
    format: Literal["html", "json"] | None = Query(default=None),
) -> Response:
    """The signed letter as PDF, once per code; no sign-in (the code is the permission)."""
    bind(request, letter_id=letter_id)
    try:
        got = await download_letter(
            new_uow, letter_id, code, secret=get_settings().slrt_letter_link_secret, render=_render
        )
    except Refused as refused:
        wants_json = format == "json" or (
            format is None and "application/json" in request.headers.get("accept", "")
        )
        if wants_json:
            raise
        return HTMLResponse(refusal_page(refused), status_code=refused.status)
    filename = got.letter.letter_number.replace("/", "-") + ".pdf"
    return Response(
        content=got.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-SHA256": got.letter.content_sha256,
        },
    )


_STYLE = (
    "body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}"
    ".bad{color:#a31515}"
)

_PAGES = {
    "download_link_used": (
        "Tautan sudah digunakan",
        "Surat Anda sudah pernah diunduh dengan tautan ini. Setiap tautan hanya dapat dipakai "
        "satu kali, agar surat Anda tidak dapat diunduh orang lain.",
    ),
    "download_link_expired": (
        "Tautan sudah tidak berlaku",
        "Masa berlaku tautan unduhan ini telah habis.",
    ),
}
_DEFAULT_PAGE = (
    "Tautan tidak valid",
    "Tautan unduhan ini tidak dikenali. Periksa kembali tautan pada pesan yang Anda terima.",
)


def refusal_page(refused: Refused) -> str:
    """Why the letter is not served, and what to do next, in Bahasa Indonesia."""
    title, text = _PAGES.get(refused.code, _DEFAULT_PAGE)
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Unduh Surat - {escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><h1 class="bad">{escape(title)}</h1><p>{escape(text)}</p>'
        "<p>Bila Anda memerlukan surat itu lagi, balas pesan yang memuat tautan ini atau "
        "hubungi Dinas Sosial yang menerbitkannya dengan menyebut nomor tiket Anda; petugas "
        "akan mengirimkan surat Anda kembali.</p>"
        f"<p><small>Kode: {escape(refused.code)}</small></p>"
        "</body></html>"
    )
