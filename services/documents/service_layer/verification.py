"""The public check of a printed letter: is the content hash in its QR code the hash of a
letter this office signed?

Shown when it matches: the office, the number, the date, the subject and the signing
official — what the letter's own header and signature show. Never the body (which names
the citizen), never the NIK. When the hash does not match, nothing about the letter is
shown at all: a guessed or altered link learns nothing.
"""

from __future__ import annotations

import hmac
from datetime import date
from html import escape
from typing import Any
from uuid import UUID

import asyncpg

from services.documents.domain.content import tanggal


async def verify(conn: asyncpg.Connection, letter_id: UUID, presented: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT letter_number, content_sha256, content, status, signed_at
           FROM documents.letters WHERE letter_id = $1""",
        letter_id,
    )
    if row is None or row["status"] != "signed" or not row["content_sha256"]:
        return {"found": False, "genuine": False, "letter_id": str(letter_id)}
    genuine = hmac.compare_digest(row["content_sha256"], presented.strip().lower())
    result: dict[str, Any] = {"found": True, "genuine": genuine, "letter_id": str(letter_id)}
    if genuine:
        content = row["content"]
        result["letter"] = {
            "number": row["letter_number"],
            "date": content["date"],
            "office": content["office"]["name"],
            "subject": content["subject"],
            "signed_by": {
                "title": content["signatory"]["title"],
                "name": content["signatory"]["name"],
            },
            "content_sha256": row["content_sha256"],
        }
    return result


_STYLE = (
    "body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}"
    ".ok{color:#0a6b2d}.bad{color:#a31515}dt{font-weight:bold;margin-top:.6rem}"
    "code{word-break:break-all;font-size:.8rem}"
)


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
        rows = [
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
            f"<dl>{items}</dl>"
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
