"""The portal's pages: server-rendered HTML in Bahasa Indonesia, one inline style sheet,
no scripts, fonts or images from anywhere. Everything shown is escaped.

The status words ("Sedang diproses", the next step) are the office's, from the
catalogue's messages (`status.<key>.label` / `.next`), for casework's stage or its finer
status (not eligible, a letter on its way, …), chosen in `status_words.py`. The rest of
the page chrome is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from html import escape

from shared.localtime import tanggal as tanggal  # re-exported: the pages' dates
from shared.localtime import zone_of

# When the office closes, local time: casework's deadlines count office hours and a due
# time in whole working days falls at the day's closing (casework's `OfficeCalendar`,
# `services/casework/domain/deadlines.py`; a test holds the two together).
OFFICE_CLOSES = time(16, 0)

# PermenPANRB 14/2017: the nine elements (unsur) of the Survei Kepuasan Masyarakat.
IKM_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("u1", "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan?"),
    ("u2", "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan?"),
    ("u3", "Bagaimana pendapat Saudara tentang kecepatan waktu pelayanan?"),
    ("u4", "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif pelayanan?"),
    ("u5", "Bagaimana kesesuaian produk pelayanan dengan yang tercantum di standar pelayanan?"),
    ("u6", "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas?"),
    ("u7", "Bagaimana perilaku petugas terkait kesopanan dan keramahan?"),
    ("u8", "Bagaimana penanganan pengaduan, saran dan masukan?"),
    ("u9", "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?"),
)
SCORES: tuple[tuple[int, str], ...] = (
    (1, "Tidak baik"),
    (2, "Kurang baik"),
    (3, "Baik"),
    (4, "Sangat baik"),
)

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.5}
h1{font-size:1.4rem}label{display:block;margin-top:1rem;font-weight:600}
input[type=text]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;font-size:1rem}
.box{border:1px solid #bbb;border-radius:6px;padding:1rem;margin-top:1rem}
.warn{border-color:#b00;color:#7a0000}dt{font-weight:600;margin-top:.6rem}
fieldset{margin-top:1rem;border:1px solid #ccc}small{color:#555}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def index_page(offices: Iterable[tuple[str, str]]) -> str:
    items = "".join(
        f'<li><a href="/{escape(oid)}/status">{escape(name)}</a></li>' for oid, name in offices
    )
    return _page(
        "Cek status permohonan",
        f"<h1>Cek status permohonan</h1><p>Pilih kantor tempat Anda mengajukan permohonan:</p>"
        f"<ul>{items}</ul>",
    )


def lookup_form(office_id: str, office_name: str, *, ticket: str = "", notice: str = "") -> str:
    warn = f'<div class="box warn" role="alert">{escape(notice)}</div>' if notice else ""
    return _page(
        f"Cek status — {office_name}",
        f"<h1>Cek status permohonan</h1><p>{escape(office_name)}</p>{warn}"
        f'<form method="post" action="/{escape(office_id)}/status">'
        '<label for="ticket">Nomor tiket</label>'
        f'<input type="text" id="ticket" name="ticket" value="{escape(ticket)}" '
        'placeholder="contoh: LMJ-2026-000123" autocomplete="off" required>'
        '<label for="code">Kode cek</label>'
        '<input type="text" id="code" name="code" autocomplete="off" required>'
        "<small>Kode cek tercetak pada tanda terima dan dikirim pada pesan pertama kami.</small>"
        "<br><button type=submit>Lihat status</button></form>",
    )


NOT_FOUND_NOTICE = (
    "Nomor tiket dan kode cek tidak cocok dengan permohonan di kantor ini. Periksa kembali "
    "keduanya, atau hubungi kantor dengan membawa tanda terima."
)
TOO_MANY_NOTICE = "Terlalu banyak percobaan dari alamat Anda. Silakan coba lagi setelah satu menit."


@dataclass(frozen=True)
class StatusView:
    ticket_number: str
    office_name: str
    service_name: str | None
    status: str  # `status_words`: where the request stands, in the citizen's words
    next_step: str
    due: str | None  # `due_text`: "1 Desember 2026 pukul 13.05 WITA", the office's zone
    paused: bool
    paused_for: str | None  # "counselling": the standard's time leaves counselling out
    published_time: str | None
    contact: str


def due_text(due_at: datetime, region_code: str) -> str:
    """A due time as the page shows it, in the office's zone: the date alone when it falls
    at the office's closing (`30 November 2026`: by the end of that office day), with the
    hour and minute otherwise (`1 Desember 2026 pukul 13.05 WITA`, PUEBI's dot)."""
    if due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=UTC)
    local = due_at.astimezone(zone_of(region_code))
    day = tanggal(local.date())
    if local.time() == OFFICE_CLOSES:
        return day
    return f"{day} pukul {local.hour:02d}.{local.minute:02d} {local.tzname()}"


def status_page(office_id: str, view: StatusView) -> str:
    rows = [
        ("Nomor tiket", view.ticket_number),
        ("Layanan", view.service_name or "—"),
        ("Status", view.status),
        ("Langkah berikutnya", view.next_step),
    ]
    if view.due:
        rows.append(("Batas waktu penyelesaian", view.due))
    elif view.paused and view.paused_for == "counselling":
        rows.append(("Batas waktu penyelesaian", "tidak dihitung selama konseling dengan psikolog"))
    elif view.paused:
        # The Status row says what is awaited (the citizen's documents, or another agency).
        rows.append(("Batas waktu penyelesaian", "dihentikan sementara selama menunggu"))
    if view.published_time:
        rows.append(("Waktu penyelesaian sesuai standar", view.published_time))
    rows.append(("Kontak kantor", f"{view.office_name}, {view.contact}"))
    listing = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return _page(
        f"Status {view.ticket_number}",
        f'<h1>Status permohonan</h1><div class="box"><dl>{listing}</dl></div>'
        f'<p><a href="/{escape(office_id)}/status">Cek permohonan lain</a></p>',
    )


def survey_form(token: str, ticket: str, office_name: str, *, notice: str = "") -> str:
    warn = f'<div class="box warn" role="alert">{escape(notice)}</div>' if notice else ""
    questions = "".join(
        f"<fieldset><legend>{i}. {escape(q)}</legend>"
        + "".join(
            f'<label><input type="radio" name="{key}" value="{score}" required> '
            f"{score} — {escape(words)}</label>"
            for score, words in SCORES
        )
        + "</fieldset>"
        for i, (key, q) in enumerate(IKM_ELEMENTS, start=1)
    )
    return _page(
        "Survei Kepuasan Masyarakat",
        f"<h1>Survei Kepuasan Masyarakat</h1><p>{escape(office_name)} — permohonan "
        f"{escape(ticket)}. Jawaban Anda membantu kami memperbaiki layanan.</p>{warn}"
        f'<form method="post" action="/survei"><input type="hidden" name="t" '
        f'value="{escape(token)}">{questions}<button type=submit>Kirim</button></form>',
    )


def message_page(title: str, text: str, *, warn: bool = False) -> str:
    cls = "box warn" if warn else "box"
    return _page(title, f'<h1>{escape(title)}</h1><div class="{cls}">{escape(text)}</div>')


def scores_from(form: Mapping[str, str]) -> dict[str, int] | None:
    """The nine answers as scores 1-4, or None when one is missing or out of range."""
    scores: dict[str, int] = {}
    for key, _ in IKM_ELEMENTS:
        value = form.get(key, "")
        if value not in {"1", "2", "3", "4"}:
            return None
        scores[key] = int(value)
    return scores
