"""What a refusal means, said to staff in Bahasa Indonesia.

Every service refuses with `{"error": {"code", "message", "details"}}`; the code is stable,
the message is English for developers. Staff read the sentence for the code here; a code
not in the table falls back to the service's own message, so nothing is ever hidden.
Add a line here when a service learns a new refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SENTENCES: dict[str, str] = {
    # who may do what
    "wrong_role": "Peran Anda tidak berwenang melakukan langkah ini.",
    "wrong_office": "Kasus ini milik kantor lain; Anda tidak dapat melihat atau mengubahnya.",
    "not_your_step": "Surat ini belum sampai pada tahap Anda dalam alur persetujuan.",
    "token_missing": "Sesi Anda tidak dikenali. Silakan masuk kembali.",
    "token_invalid": "Sesi Anda tidak sah. Silakan masuk kembali.",
    "token_expired": "Sesi Anda telah berakhir. Silakan masuk kembali.",
    "token_unverifiable": "Layanan belum dapat memeriksa identitas staf "
    "(kunci publik belum diatur).",
    # the state does not allow it now
    "illegal_transition": "Langkah ini tidak dapat dilakukan pada status kasus saat ini.",
    "concurrent_update": "Kasus baru saja diubah oleh orang lain. Muat ulang lalu coba lagi.",
    "conflict": "Kasus baru saja diubah oleh orang lain. Muat ulang lalu coba lagi.",
    "already_assigned": "Kasus ini sudah ditugaskan.",
    "already_decided": "Keputusan untuk ini sudah dicatat.",
    "already_resolved": "Kasus ini sudah diselesaikan.",
    "already_classified": "Pesan ini sudah diklasifikasikan.",
    "already_returned": "Kartu identitas ini sudah dikembalikan.",
    "already_surveyed": "Survei untuk kasus ini sudah diisi.",
    "case_not_ready": "Kasus belum siap untuk langkah ini.",
    "case_not_finished": "Kasus belum selesai.",
    "requirements_incomplete": "Persyaratan belum lengkap.",
    "documents_missing": "Dokumen persyaratan belum lengkap.",
    "missing_documents": "Dokumen persyaratan belum lengkap.",
    "dtks_not_verified": "Data pemohon belum terverifikasi di DTKS.",
    "not_eligible": "Pemohon tidak memenuhi syarat untuk layanan ini.",
    "disposition_required": "Kasus ini memerlukan disposisi pimpinan terlebih dahulu.",
    "letter_already_drafted": "Draf surat sudah dibuat.",
    "letter_already_signed": "Surat sudah ditandatangani.",
    "letter_already_issued": "Surat sudah diterbitkan.",
    "letter_already_handed_over": "Surat sudah diserahkan.",
    "letter_not_approved": "Surat belum disetujui.",
    "letter_not_signed": "Surat belum ditandatangani.",
    "letter_not_returned": "Surat tidak sedang dikembalikan untuk perbaikan.",
    "letter_returned": "Surat sedang dikembalikan untuk perbaikan.",
    "awaiting_signature": "Surat sedang menunggu tanda tangan.",
    "assessment_missing": "Asesmen belum dicatat.",
    "consultation_missing": "Konsultasi belum dicatat.",
    "sessions_exhausted": "Jumlah sesi yang diizinkan sudah habis.",
    "not_social_work": "Layanan kasus ini bukan layanan LK3.",
    "referral_already_answered": "Rujukan ini sudah dijawab.",
    "referral_not_open": "Rujukan ini sudah ditutup.",
    "survivor_not_open": "Kasus tujuan penggabungan sudah ditutup.",
    "variant_not_set": "Jenis layanan belum ditentukan.",
    "identity_already_recorded": "Identitas sudah dicatat.",
    "anonymous_report": "Laporan anonim tidak memuat identitas pelapor.",
    "no_id_card": "Tidak ada kartu identitas yang dititipkan.",
    "external_id_taken": "Pesan dengan nomor ini sudah diterima sebelumnya.",
    "already_called": "Nomor antrean ini sudah dipanggil.",
    "nobody_waiting": "Tidak ada tamu yang menunggu untuk dipanggil.",
    # the request itself is wrong
    "invalid_request": "Isian belum lengkap atau tidak sesuai. Periksa kembali formulir.",
    "malformed_json": "Permintaan tidak dapat dibaca.",
    "reason_required": "Alasan wajib diisi.",
    "comment_required": "Catatan wajib diisi.",
    "agency_required": "Instansi tujuan wajib diisi.",
    "nik_invalid": "NIK tidak sah (harus 16 angka yang sesuai kode wilayah).",
    "unknown_service": "Layanan tidak dikenal di kantor ini.",
    "unknown_variant": "Jenis layanan tidak dikenal untuk layanan ini.",
    "applicant_missing": "Isi nama, NIK, atau nomor telepon pemohon.",
    "invalid_period": "Periode tidak sah: akhir harus sesudah awal.",
    "file_missing": "Berkas belum dipilih.",
    "file_empty": "Berkas kosong.",
    "payload_too_large": "Berkas terlalu besar.",
    # not found
    "case_not_found": "Kasus tidak ditemukan.",
    "letter_not_found": "Surat tidak ditemukan.",
    "ticket_not_found": "Nomor tiket tidak ditemukan.",
    "inbound_not_found": "Pesan masuk tidak ditemukan.",
    "triage_not_found": "Pesan untuk triase tidak ditemukan.",
    "visit_not_found": "Kunjungan tidak ditemukan.",
    "referral_not_found": "Rujukan tidak ditemukan.",
    "file_not_found": "Berkas tidak ditemukan.",
    "no_duplicate": "Tidak ada dugaan duplikat untuk kasus ini.",
    "unknown_office": "Kantor tidak dikenal.",
    # the dashboard's own
    "csrf_invalid": "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
    "service_unavailable": "Layanan sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
    "internal_error": "Terjadi kesalahan pada sistem; sudah dicatat. Coba lagi sebentar lagi.",
    "database_unavailable": "Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
    "signed_out": "Silakan masuk terlebih dahulu.",
    "sign_in_failed": "Nama pengguna atau kata sandi salah.",
    "account_locked": "Akun terkunci sementara karena terlalu banyak percobaan kata sandi "
    "yang salah. Coba lagi nanti atau hubungi administrator.",
    "password_too_short": "Kata sandi minimal 10 karakter.",
    "username_invalid": "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, tanda hubung.",
    "username_taken": "Nama pengguna itu sudah dipakai.",
    "roles_required": "Pilih paling sedikit satu peran.",
    "role_unknown": "Peran tidak dikenal.",
    "name_required": "Nama wajib diisi.",
    "own_admin_account": "Anda tidak dapat menonaktifkan, memindahkan, atau mencabut peran "
    "administrator dari akun Anda sendiri.",
    "account_not_found": "Akun staf tidak ditemukan.",
    "too_many_live_pages": "Terlalu banyak halaman terbuka; pembaruan langsung ditunda.",
    "page_not_found": "Halaman tidak ditemukan.",
    "method_not_allowed": "Permintaan ini tidak didukung halaman tersebut.",
}

_BY_STATUS: dict[int, str] = {
    401: "Silakan masuk kembali.",
    403: "Anda tidak berwenang melakukan ini.",
    404: "Data tidak ditemukan.",
    409: "Langkah ini tidak dapat dilakukan sekarang.",
    422: "Isian tidak sesuai.",
}


@dataclass(frozen=True)
class Notice:
    """A refusal as a person reads it: the Indonesian sentence, the code, and the service's
    own message (shown small, for the helpdesk)."""

    sentence: str
    code: str
    status: int
    service_message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Missing documents or fields the service named, when it did."""
        for key in ("missing", "missing_documents", "documents_missing"):
            value = self.details.get(key)
            if isinstance(value, list):
                return [str(v) for v in value]
        return []


def explain(
    code: str, status: int, message: str = "", details: Mapping[str, Any] | None = None
) -> Notice:
    """The notice for a refusal: the table's sentence, else the service's message, else a
    sentence for the HTTP status."""
    sentence = SENTENCES.get(code) or message or _BY_STATUS.get(status, "Permintaan ditolak.")
    return Notice(sentence, code, status, message, dict(details or {}))
