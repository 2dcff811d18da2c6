"""What the status page says for each status casework reports (its `CaseStatus`,
`services/casework/domain/model.py`; casework's public-status read gives it as `status`,
and the lifecycle `stage` beside it).

Two kinds of status:

- a stage of its own (`registered`, `front_office`, … `merged`): told in the office's
  words, the catalogue messages `status.<stage>.label` / `.next` (every office has them:
  the catalogue refuses to start without);
- a finer status (not eligible, documents complete, a letter on its way, a referral):
  told in the words below, each saying honestly where the request stands and what the
  citizen can do.

Every status casework can report is in `PORTAL_STATUSES` (a test holds the two lists
together). A status the portal does not know is never told as "Diterima": the page says
it cannot show the status and to ask the office (`UNKNOWN`), and the lookup logs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts.case_stages import STAGES


@dataclass(frozen=True)
class StatusWords:
    label: str
    next_step: str


# The finer statuses, in the portal's words (consistent with what the citizen is sent).
OWN_WORDS: Mapping[str, StatusWords] = {
    "eligible": StatusWords(
        "Memenuhi syarat, persyaratan sedang diperiksa",
        "Data Anda telah kami periksa dan memenuhi syarat layanan ini. Petugas memeriksa "
        "kelengkapan persyaratan; bila ada yang kurang, Anda akan dihubungi.",
    ),
    "not_eligible": StatusWords(
        "Belum dapat diproses: data Anda belum terdaftar dalam DTKS",
        "Data Anda belum terdaftar dalam DTKS, sehingga permohonan belum dapat kami "
        "proses. Hubungi kantor kami (kontak di bawah) dengan menyebut nomor tiket untuk "
        "menanyakan langkah selanjutnya, atau ajukan pemutakhiran data DTKS melalui kantor "
        "desa/kelurahan tempat Anda tinggal dengan membawa KTP dan Kartu Keluarga. Setelah "
        "terdaftar, Anda dapat mengajukan permohonan kembali.",
    ),
    "documents_complete": StatusWords(
        "Persyaratan lengkap",
        "Persyaratan Anda telah lengkap; permohonan diteruskan untuk diproses petugas.",
    ),
    "referred": StatusWords(
        "Dirujuk ke instansi lain",
        "Permohonan Anda kami rujuk ke instansi terkait untuk penanganan lebih lanjut. "
        "Petugas kami akan menghubungi Anda bila diperlukan.",
    ),
    "letter_drafted": StatusWords(
        "Surat sedang disiapkan",
        "Petugas sedang menyusun surat untuk permohonan Anda; Anda akan dikabari bila surat "
        "telah ditandatangani.",
    ),
    "letter_in_approval": StatusWords(
        "Surat menunggu persetujuan pejabat",
        "Surat untuk permohonan Anda sedang diperiksa pejabat yang berwenang; Anda akan "
        "dikabari bila surat telah ditandatangani.",
    ),
    "letter_returned": StatusWords(
        "Surat sedang diperbaiki",
        "Surat untuk permohonan Anda dikembalikan oleh pejabat untuk diperbaiki dan sedang "
        "diperbaiki petugas; Anda akan dikabari bila surat telah ditandatangani.",
    ),
    "letter_approved": StatusWords(
        "Surat disetujui, menunggu tanda tangan",
        "Surat untuk permohonan Anda telah disetujui dan menunggu ditandatangani pejabat; "
        "Anda akan dikabari bila surat telah ditandatangani.",
    ),
    "letter_signed": StatusWords(
        "Surat telah ditandatangani",
        "Surat Anda telah ditandatangani; cara menerimanya telah kami kabarkan melalui "
        "pesan. Bila belum Anda terima, hubungi kantor kami dengan menyebut nomor tiket.",
    ),
}

# A case is also not eligible when its NIK's domicile is outside the office's area (the
# LK3 counselling service): that citizen is not told about DTKS.
NOT_ELIGIBLE_DOMICILE = StatusWords(
    "Belum dapat diproses: domisili Anda di luar wilayah layanan kantor ini",
    "Menurut NIK Anda, domisili Anda berada di luar wilayah layanan kantor kami, sehingga "
    "permohonan belum dapat kami proses. Hubungi kantor kami (kontak di bawah) dengan "
    "menyebut nomor tiket bila data tersebut keliru, atau ajukan permohonan ke Dinas Sosial "
    "di wilayah tempat Anda berdomisili.",
)

# The statuses told in the office's words: the stages themselves.
STAGE_STATUSES: frozenset[str] = frozenset(STAGES)

PORTAL_STATUSES: frozenset[str] = STAGE_STATUSES | frozenset(OWN_WORDS)

UNKNOWN = StatusWords(
    "Status belum dapat ditampilkan",
    "Status permohonan Anda belum dapat kami tampilkan di sini. Hubungi kantor kami "
    "(kontak di bawah) dengan menyebut nomor tiket untuk menanyakan perkembangannya.",
)


def words_for(
    status: str, office_pieces: Mapping[str, str], *, not_eligible_because: str | None = None
) -> StatusWords | None:
    """The words for `status`: the office's for a stage, the portal's for a finer status;
    None for a status the portal does not know (the caller shows `UNKNOWN`)."""
    if status == "not_eligible" and not_eligible_because == "domicile":
        return NOT_ELIGIBLE_DOMICILE
    if status in OWN_WORDS:
        return OWN_WORDS[status]
    label, next_step = f"status.{status}.label", f"status.{status}.next"
    if status in STAGE_STATUSES and label in office_pieces and next_step in office_pieces:
        return StatusWords(office_pieces[label], office_pieces[next_step])
    return None
